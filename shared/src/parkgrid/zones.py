"""Time zones: the one validated IANA zone type, and the network's default zone.

Every site has its own zone (DESIGN.md: nothing may assume one country or one zone); the
default only answers for a site whose zone a service has not learnt yet.
"""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field


def iana_zone(name: str) -> str:
    """`name` if the IANA database knows it; a ValueError (a 422 at the edge) otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone") from None
    return name


TimeZone = Annotated[
    str,
    Field(min_length=3, max_length=64, description="IANA time zone, e.g. Africa/Casablanca."),
    AfterValidator(iana_zone),
]

NETWORK_TIME_ZONE = "Africa/Casablanca"
"""The zone of a site a service has no zone for yet (settings: PARKGRID_DEFAULT_TIME_ZONE)."""
