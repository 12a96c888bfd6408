"""Bookings' recurring series, as the web app calls them: request one with the form's
Idempotency-Key (a double submit, or a retry after a timeout, finishes the same series rather
than booking it twice), read one, cancel it from an occurrence on or whole."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from frontdesk.adapters.commands import command
from frontdesk.adapters.services import Bookings
from parkgrid.api.series import SeriesPage, SeriesRead


async def request_series(bookings: Bookings, token: str, body: Mapping[str, Any], key: str | None) -> SeriesRead:
    path = "/v1/series"
    return bookings.parse(SeriesRead, await command(bookings, path, token, body, key), path)


async def series(bookings: Bookings, token: str, series_id: str) -> SeriesRead:
    return await bookings.read(SeriesRead, f"/v1/series/{series_id}", token)


async def cancel_series(bookings: Bookings, token: str, series_id: str, first: str | None) -> SeriesRead:
    """Cancel from the occurrence starting at `first` on; the whole series' future when None."""
    path = f"/v1/series/{series_id}/cancel"
    body = {"from_occurrence": first} if first else {}
    return bookings.parse(SeriesRead, await command(bookings, path, token, body), path)


async def move_series(
    bookings: Bookings, token: str, series_id: str, body: Mapping[str, Any], key: str | None
) -> SeriesRead:
    """The new series its occurrences moved to (from `from_occurrence` on, first at `starts_at`)."""
    path = f"/v1/series/{series_id}/reschedule"
    return bookings.parse(SeriesRead, await command(bookings, path, token, body, key), path)


async def series_of(bookings: Bookings, token: str, member_id: str) -> SeriesPage:
    """The member organisation's series, oldest first, with their outcomes as recorded."""
    return await bookings.read(SeriesPage, "/v1/series", token, member_id=member_id)
