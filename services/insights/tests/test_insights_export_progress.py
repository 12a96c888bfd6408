"""An export's progress (issue 22, item 2) is each service's parts received of the parts it announced:
a service is done once every part of its answer is in, however often a part was delivered; unknown
until its first part arrives."""

from __future__ import annotations

from insights.service_layer.exports import progress_of

SERVICES = ["bookings", "community", "spaces"]


def part(service: str, n: int, of: int) -> dict[str, object]:
    return {"service": service, "part": n, "parts": of}


def test_progress_counts_each_part_once_and_knows_a_service_done_only_when_all_are_in() -> None:
    received = [part("bookings", 1, 2), part("bookings", 1, 2), part("community", 1, 1)]
    assert progress_of(SERVICES, received) == [
        {"service": "bookings", "received": 1, "parts": 2, "done": False},
        {"service": "community", "received": 1, "parts": 1, "done": True},
        {"service": "spaces", "received": 0, "parts": None, "done": False},
    ]
    received += [part("bookings", 2, 2), part("spaces", 1, 1)]
    assert all(s["done"] for s in progress_of(SERVICES, received))
