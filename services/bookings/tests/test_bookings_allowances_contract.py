"""One suite for the allowances a booking reserves, run against the in-memory ones and the real ones.

The same reservations are refused, retried, lent by a replaced booking and given back for both,
so a service-layer test on `InMemoryAllowances` proves what `MemberAllowances` would do.
"""

from __future__ import annotations

import asyncio

import pytest
from bookings_fakes import InMemoryAllowances

from bookings.adapters.sessions import MemberAllowances
from bookings.domain.entitlements import CREDITS, LIMIT, Allowance
from bookings.service_layer.ports import Allowances
from parkgrid.store import Database

FOUR_A_MONTH = Allowance("lim-m-1-off-1-month-2030-01-01", "m-1", LIMIT, 4, 1)
SIX_CREDITS = Allowance("cr-ent-m-1-mentoring-2030-01-01", "m-1", CREDITS, 6, 2)


async def used(allowances: Allowances, allowance: Allowance) -> int:
    doc = await allowances.get(allowance.allowance_id)
    return 0 if doc is None else int(doc["used"])


class AllowancesContract:
    """The behaviour both share. Subclasses provide the `allowances` fixture."""

    @pytest.fixture
    def allowances(self) -> Allowances:
        raise NotImplementedError

    async def test_a_booking_reserves_once_while_there_is_room(self, allowances: Allowances) -> None:
        assert await allowances.reserve(SIX_CREDITS, "b-1")
        assert await allowances.reserve(SIX_CREDITS, "b-1")  # a retried command holds what it took
        assert await allowances.reserve(SIX_CREDITS, "b-2")
        assert await allowances.reserve(SIX_CREDITS, "b-3")
        assert not await allowances.reserve(SIX_CREDITS, "b-4")
        doc = await allowances.get(SIX_CREDITS.allowance_id)
        assert doc is not None
        assert (doc["used"], doc["held"], doc["member_id"], doc["kind"]) == (
            6,
            {"b-1": 2, "b-2": 2, "b-3": 2},
            "m-1",
            CREDITS,
        )

    async def test_more_than_the_whole_allowance_is_never_reserved(self, allowances: Allowances) -> None:
        assert not await allowances.reserve(Allowance("cr-x", "m-1", CREDITS, 1, 2), "b-1")
        assert await allowances.get("cr-x") is None

    async def test_given_back_once_per_kind_then_reserved_again(self, allowances: Allowances) -> None:
        assert await allowances.reserve(FOUR_A_MONTH, "b-1")
        assert await allowances.reserve(SIX_CREDITS, "b-1")
        assert await allowances.give_back("m-1", "b-1", [LIMIT]) == 1  # a late cancellation: credits kept
        assert await allowances.give_back("m-1", "b-1", [LIMIT]) == 0  # redelivered: nothing more
        assert (await used(allowances, FOUR_A_MONTH), await used(allowances, SIX_CREDITS)) == (0, 2)
        assert await allowances.give_back("m-2", "b-1", [CREDITS]) == 0  # another member's: none
        assert await allowances.give_back("m-1", "b-1", [LIMIT, CREDITS]) == 1
        assert await allowances.give_back("m-1", "b-1", [LIMIT, CREDITS]) == 0
        assert (await used(allowances, FOUR_A_MONTH), await used(allowances, SIX_CREDITS)) == (0, 0)
        assert await allowances.reserve(SIX_CREDITS, "b-1")
        assert await used(allowances, SIX_CREDITS) == 2

    async def test_a_replaced_booking_lends_its_share(self, allowances: Allowances) -> None:
        for n in range(4):
            assert await allowances.reserve(FOUR_A_MONTH, f"b-{n}")
        assert not await allowances.reserve(FOUR_A_MONTH, "b-new")
        assert not await allowances.reserve(FOUR_A_MONTH, "b-new", replaces="b-other")
        assert await allowances.reserve(FOUR_A_MONTH, "b-new", replaces="b-0")
        assert await used(allowances, FOUR_A_MONTH) == 5  # until the replaced one is retired
        assert await allowances.give_back("m-1", "b-0", [LIMIT]) == 1
        assert await used(allowances, FOUR_A_MONTH) == 4

    async def test_racing_reservations_never_pass_the_limit(self, allowances: Allowances) -> None:
        took = await asyncio.gather(*(allowances.reserve(FOUR_A_MONTH, f"b-{n}") for n in range(20)))
        assert took.count(True) == 4
        assert await used(allowances, FOUR_A_MONTH) == 4
        credits = await asyncio.gather(*(allowances.reserve(SIX_CREDITS, f"c-{n}") for n in range(10)))
        assert credits.count(True) == 3
        assert await used(allowances, SIX_CREDITS) == 6

    async def test_the_first_reservation_starts_from_what_earlier_bookings_hold(self, allowances: Allowances) -> None:
        asked = 0

        async def earlier() -> dict[str, int]:
            nonlocal asked
            asked += 1
            return {"old-1": 1, "old-2": 1, "b-1": 1}  # b-1 itself is not counted twice

        assert await allowances.reserve(FOUR_A_MONTH, "b-1", already=earlier)
        assert await allowances.reserve(FOUR_A_MONTH, "b-2", already=earlier)
        assert not await allowances.reserve(FOUR_A_MONTH, "b-3", already=earlier)
        doc = await allowances.get(FOUR_A_MONTH.allowance_id)
        assert doc is not None
        assert (doc["used"], doc["held"]) == (4, {"old-1": 1, "old-2": 1, "b-1": 1, "b-2": 1})
        assert asked == 1  # asked only by the reservation that created the allowance
        assert await allowances.give_back("m-1", "old-1", [LIMIT]) == 1  # an earlier booking cancelled
        assert await allowances.reserve(FOUR_A_MONTH, "b-3", already=earlier)

    async def test_racing_first_reservations_count_earlier_bookings_once(self, allowances: Allowances) -> None:
        async def earlier() -> dict[str, int]:
            await asyncio.sleep(0)
            return {"old-1": 1, "old-2": 1}

        took = await asyncio.gather(*(allowances.reserve(FOUR_A_MONTH, f"b-{n}", already=earlier) for n in range(10)))
        assert took.count(True) == 2
        assert await used(allowances, FOUR_A_MONTH) == 4

    async def test_a_lost_booking_gives_back_everything_it_holds(self, allowances: Allowances) -> None:
        assert await allowances.reserve(FOUR_A_MONTH, "b-lost")
        assert await allowances.reserve(SIX_CREDITS, "b-lost")
        assert await allowances.reserve(SIX_CREDITS, "b-kept")
        assert await allowances.give_back_lost("b-lost") == 2
        assert await allowances.give_back_lost("b-lost") == 0  # once
        assert (await used(allowances, FOUR_A_MONTH), await used(allowances, SIX_CREDITS)) == (0, 2)


class TestInMemoryAllowances(AllowancesContract):
    @pytest.fixture
    def allowances(self) -> Allowances:
        return InMemoryAllowances()


class TestMongoAllowances(AllowancesContract):
    @pytest.fixture
    def allowances(self, database: Database) -> Allowances:
        return MemberAllowances(database["allowances"])
