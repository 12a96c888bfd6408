"""The saga-under-faults checker fails on what it must catch (pure, no processes: in `make test`).

A snapshot of both stores as a settled run leaves them passes; each doctored copy holds one
thing the saga must never leave behind, and `saga_violations` names it: a confirmed booking
whose reservation is gone or was never asked for, a reservation held for a rejected or
unknown booking, an accepted request still pending, a booking for a refused key, and a room
reserved twice at once.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from reliability_chaos_check import Snapshot
from reliability_saga import saga_violations

from tests.scaling.scaling_workload import Answer, booking_id_of

ROOM_OFFERING = "off-room"
START = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
END = START + timedelta(minutes=30)
SEATS = {ROOM_OFFERING: 3}
CONFIRMED, REJECTED = booking_id_of("k-confirmed"), booking_id_of("k-rejected")


def _booking(booking_id: str, status: str, request_id: str | None, member: str) -> dict[str, Any]:
    return {
        "_id": booking_id,
        "status": status,
        "offering_id": ROOM_OFFERING,
        "member_id": member,
        "starts_at": START,
        "party_size": 1,
        "session_key": f"{ROOM_OFFERING}|{START.isoformat()}",
        "requirement": {"kind": "meeting_room", "seats": 3},
        "reservation_request_id": request_id,
        "space_id": "room-0" if status == "confirmed" else None,
        "version": 3,
    }


def _reservation(request_id: str, booking_id: str, status: str, space_id: str | None = "room-0") -> dict[str, Any]:
    return {
        "_id": request_id,
        "request_id": request_id,
        "requested_by": "bookings",
        "reference_id": booking_id,
        "status": status,
        "space_id": space_id if status == "confirmed" else None,
        "time": {"starts_at": START, "ends_at": END},
        "version": 1,
    }


def settled() -> tuple[Snapshot, list[Answer]]:
    """One booking confirmed with its room, one rejected (room refused), one key refused (full)."""
    snapshot: Snapshot = {
        "bookings": {
            "bookings": [
                _booking(CONFIRMED, "confirmed", "r-confirmed", "m-1"),
                _booking(REJECTED, "rejected", "r-rejected", "m-2"),
            ],
            "session_seats": [
                {
                    "_id": f"{ROOM_OFFERING}|{START.isoformat()}",
                    "offering_id": ROOM_OFFERING,
                    "starts_at": START,
                    "taken": 1,
                    "places": {"m-1": f"{CONFIRMED}/1"},
                }
            ],
        },
        "spaces": {
            "reservations": [
                _reservation("r-confirmed", CONFIRMED, "confirmed"),
                _reservation("r-rejected", REJECTED, "refused"),
            ]
        },
    }
    answers = [
        Answer("k-confirmed", {}, status=202, booking_id=CONFIRMED, booking_status="pending"),
        Answer("k-rejected", {}, status=202, booking_id=REJECTED, booking_status="pending"),
        Answer("k-full", {}, status=409),
    ]
    return snapshot, answers


def test_a_settled_saga_passes() -> None:
    snapshot, answers = settled()
    assert saga_violations(snapshot, answers, SEATS) == []


def _bookings(snapshot: Snapshot) -> list[dict[str, Any]]:
    return snapshot["bookings"]["bookings"]


def _reservations(snapshot: Snapshot) -> list[dict[str, Any]]:
    return snapshot["spaces"]["reservations"]


def reservation_lost(snapshot: Snapshot) -> None:
    snapshot["spaces"]["reservations"] = [r for r in _reservations(snapshot) if r["_id"] != "r-confirmed"]


def confirmed_without_asking(snapshot: Snapshot) -> None:
    _bookings(snapshot)[0]["reservation_request_id"] = None


def held_for_a_rejected_booking(snapshot: Snapshot) -> None:
    _reservations(snapshot).append(_reservation("r-late", REJECTED, "confirmed", "room-1"))


def held_for_no_booking(snapshot: Snapshot) -> None:
    _reservations(snapshot).append(_reservation("r-ghost", "bk-ghost", "confirmed", "room-2"))


def left_pending(snapshot: Snapshot) -> None:
    _bookings(snapshot)[1]["status"] = "pending"


def booked_for_a_refused_key(snapshot: Snapshot) -> None:
    _bookings(snapshot).append(_booking(booking_id_of("k-full"), "rejected", "r-full", "m-3"))


def room_reserved_twice(snapshot: Snapshot) -> None:
    # A second booking confirmed in the same room at the same time.
    other = booking_id_of("k-other")
    _bookings(snapshot).append(_booking(other, "confirmed", "r-other", "m-4"))
    _reservations(snapshot).append(_reservation("r-other", other, "confirmed"))
    snapshot["bookings"]["session_seats"][0].update(taken=2, places={"m-1": f"{CONFIRMED}/1", "m-4": f"{other}/1"})


@pytest.mark.parametrize(
    ("doctor", "expected"),
    [
        (reservation_lost, f"booking {CONFIRMED}: confirmed"),
        (confirmed_without_asking, f"booking {CONFIRMED}: confirmed, needs a room, no reservation"),
        (held_for_a_rejected_booking, f"reservation r-late: held for booking {REJECTED} that is rejected"),
        (held_for_no_booking, "reservation r-ghost: held for booking bk-ghost that is not"),
        (left_pending, "key k-rejected: accepted (202), ended 'pending'"),
        (booked_for_a_refused_key, "key k-full: refused (409), yet booking"),
        (room_reserved_twice, "room room-0 reserved twice at once"),
    ],
)
def test_the_checker_names_what_the_saga_must_never_leave(doctor: Any, expected: str) -> None:
    snapshot, answers = settled()
    doctored = copy.deepcopy(snapshot)
    doctor(doctored)
    if doctor is room_reserved_twice:
        answers.append(Answer("k-other", {}, status=202, booking_id=booking_id_of("k-other")))
    found = saga_violations(doctored, answers, SEATS)
    assert any(line.startswith(expected) for line in found), found
