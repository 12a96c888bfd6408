"""The bookings HTTP API under /v1, one router per feature (routes agreed with the other contexts).

- `bookings`: book, cancel, reschedule, check in;
- `booking_reads`: a booking, and the bookings the caller sees;
- `slots`: an offering's bookable sessions;
- `sites`: a site's day for its front desk;
- `members`: a member organisation's entitlements and history;
- `calendar`: the iCalendar feed and its secret URL;
- `waitlist`: who waits for a seat;
- `series`: recurring bookings, each occurrence a booking;
- `limits`: sites' per-period limits per plan (admins) and a member's usage of them;
- `approvals`: a site's bookings awaiting its staff, approved or declined by them.

`common` holds what they share: their components, and who may see what.
"""

from __future__ import annotations

from fastapi import APIRouter

from bookings.entrypoints.http import (
    approvals,
    booking_reads,
    bookings,
    calendar,
    limits,
    members,
    series,
    sites,
    slots,
    waitlist,
)

routers: list[APIRouter] = [
    slots.router,
    bookings.router,
    booking_reads.router,
    sites.router,
    members.router,
    calendar.router,
    waitlist.router,
    series.router,
    limits.router,
    approvals.router,
]

__all__ = ["routers"]
