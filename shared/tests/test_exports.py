"""A service's answer to an export request (`parkgrid.exports`, issue 22 item 2): what it gathers (the
member's records, a person's alone, never the store's machinery nor excluded secrets), how the records
are cut into parts, and, over the real store, that a request is answered once however often it comes
(its parts in the answer's outbox), and not at all by a service it did not ask."""

from __future__ import annotations

from datetime import UTC, date, datetime

from parkgrid.contracts.common import Actor
from parkgrid.contracts.privacy import BookingsExportAnswered, ExportRequested, ExportSubject
from parkgrid.exports import ExportAnswers, Holding, jsonable, parts_of
from parkgrid.store import Database

ORG = ExportSubject(member_id="m-1")
PERSON = ExportSubject(member_id="m-1", person_id="p-1")


def test_a_holding_finds_the_organisations_records_or_one_persons() -> None:
    bookings = Holding("bookings")
    assert bookings.query(ORG) == {"member_id": "m-1"}
    assert bookings.query(PERSON) == {"member_id": "m-1", "person_id": "p-1"}
    assert Holding("residencies", person_field=None).query(PERSON) is None  # the organisation's only
    members = Holding("members", person_field="person_ids", people=("people",))
    doc = {"_id": "m-1", "people": [{"person_id": "p-1", "name": "A"}, {"person_id": "p-2", "name": "B"}]}
    assert members.narrowed(doc, PERSON)["people"] == [{"person_id": "p-1", "name": "A"}]
    assert members.narrowed(doc, ORG) == doc


def test_records_become_json_without_the_stores_machinery() -> None:
    at = datetime(2026, 12, 5, 9, 30)  # the store gives naive UTC back
    doc = {"_id": "b-1", "at": at, "day": date(2026, 12, 5), "outbox": [{"x": 1}], "outbox_pending": False, "n": [at]}
    assert jsonable(doc) == {
        "_id": "b-1",
        "at": "2026-12-05T09:30:00+00:00",
        "day": "2026-12-05",
        "n": ["2026-12-05T09:30:00+00:00"],
    }


def test_records_are_cut_into_parts_of_at_most_the_limit() -> None:
    records = {"a": [{"n": n} for n in range(5)], "b": [{"n": n} for n in range(3)], "c": []}
    parts = parts_of(records, limit=3)
    assert [sum(len(v) for v in p.values()) for p in parts] == [3, 3, 2]
    assert [d for p in parts for d in p.get("a", [])] == records["a"]
    assert [d for p in parts for d in p.get("b", [])] == records["b"]
    assert "c" in parts[-1]  # an empty collection is still said
    assert parts_of({}) == [{}]  # nothing held: one part that says so


def request(services: list[str]) -> ExportRequested:
    return ExportRequested(
        export_id="ex-1",
        subject=ORG,
        requested_by=Actor(role="admin", subject="admin-1"),
        requested_at=datetime.now(UTC),
        services=services,
    )


async def test_a_request_is_answered_once_with_the_members_records_in_parts(database: Database) -> None:
    await database["bookings"].insert_many(
        [{"_id": f"b-{n}", "member_id": "m-1", "person_id": "p-1", "token": "secret", "outbox": []} for n in range(150)]
        + [{"_id": "b-other", "member_id": "m-2", "person_id": "p-9"}]
    )
    answers = ExportAnswers(database, "bookings", [Holding("bookings", exclude=("token",))])
    assert not await answers.answer(request(["community"]))  # not asked
    assert await answers.answer(request(["bookings", "community"]))
    assert not await answers.answer(request(["bookings", "community"]))  # a redelivery: answered already
    outbox = await answers.answers.outbox("ex-1")
    assert [e["envelope"]["type"] for e in outbox] == [BookingsExportAnswered.event_type] * 2
    sent = [e["envelope"]["data"] for e in outbox]
    assert [(p["part"], p["parts"]) for p in sent] == [(1, 2), (2, 2)]
    exported = [r for p in sent for r in p["records"]["bookings"]]
    assert sorted(r["_id"] for r in exported) == sorted(f"b-{n}" for n in range(150))
    assert all("token" not in r and "outbox" not in r for r in exported)
    stored = await answers.answers.get("ex-1")
    assert stored is not None
    assert stored["counts"] == {"bookings": 150}
