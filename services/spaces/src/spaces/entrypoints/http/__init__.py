"""HTTP API of spaces, one router per feature (`/v1`, OpenAPI at `/docs`)."""

from __future__ import annotations

from fastapi import APIRouter

from spaces.entrypoints.http import day_passes, occupancy, reservations, residencies, sites, spaces, visits, waitlist

routers: list[APIRouter] = [
    sites.router,
    spaces.router,
    reservations.router,
    residencies.router,
    waitlist.router,
    day_passes.router,
    occupancy.router,
    visits.router,
]
