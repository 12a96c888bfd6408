"""Sessions of an offering: weekly windows in the site's local time, minus closures, within the rules.

Windows are wall-clock times in the site's IANA zone, so a 09:00 session stays at 09:00
local when `Africa/Casablanca` moves from +01:00 to +00:00 for Ramadan and back; only its
UTC instant moves. The sessions themselves come from the kit's `parkgrid.weekly` (the same
generator as the catalogue's); this module adds bookings' rules (notice, horizon), the site's
calendar (`SiteCalendar`: the kit's `site_refusal`, for every offering with a site) and ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bookings.domain.booking import VISIT_WITHIN, notice_of
from parkgrid import weekly
from parkgrid.contracts.catalogue import OfferingSnapshot
from parkgrid.contracts.common import Closure, WeeklyWindow
from parkgrid.contracts.spaces import SiteStatus

MAX_RANGE_DAYS = 62


@dataclass(frozen=True)
class Session:
    """One bookable occurrence of an offering."""

    starts_at: datetime
    ends_at: datetime

    @property
    def key(self) -> str:
        return session_key_time(self.starts_at)


def session_key_time(starts_at: datetime) -> str:
    return starts_at.astimezone(UTC).strftime("%Y%m%dT%H%MZ")


def session_key(offering_id: str, starts_at: datetime) -> str:
    """The id of a session: its offering and its start in UTC (one seat counter per session)."""
    return f"{offering_id}@{session_key_time(starts_at)}"


def session_key_start(key: str) -> tuple[str, datetime]:
    """The offering and the start a `session_key` names (an offering id holds no "@")."""
    offering_id, _, at = key.rpartition("@")
    return offering_id, datetime.strptime(at, "%Y%m%dT%H%MZ").replace(tzinfo=UTC)


def sessions_of(offering: OfferingSnapshot, time_zone: str, first: date, last: date) -> list[Session]:
    """Every session of the offering in the local days [first, last], whatever the rules: back to
    back from each of its windows' opening, none on its closures (the kit's `parkgrid.weekly`)."""
    return [
        Session(starts, ends)
        for starts, ends in weekly.sessions(
            offering.availability, offering.closures, time_zone, offering.session_minutes, first, last
        )
    ]


@dataclass(frozen=True)
class SiteCalendar:
    """When a site can host a session: its status, opening hours and closures, in its zone."""

    open: bool
    opening_hours: tuple[WeeklyWindow, ...]
    closures: tuple[Closure, ...]
    time_zone: str

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> SiteCalendar:
        """The calendar of a site as projected (the kit's `KnownSites` document)."""
        return cls(
            open=doc["status"] == SiteStatus.OPEN.value,
            opening_hours=tuple(WeeklyWindow.model_validate(w) for w in doc.get("opening_hours") or []),
            closures=tuple(Closure.model_validate(c) for c in doc.get("closures") or []),
            time_zone=str(doc["time_zone"]),
        )

    def refusal(self, session: Session) -> str | None:
        """Why the site cannot host the session (closed, a closure, outside its hours), or None."""
        return weekly.site_refusal(
            self.opening_hours, self.closures, self.open, self.time_zone, session.starts_at, session.ends_at
        )

    def hosts(self, sessions: Sequence[Session]) -> list[Session]:
        return [s for s in sessions if self.refusal(s) is None]


def bookable_window(offering: OfferingSnapshot, now: datetime, *, walk_in: bool = False) -> tuple[datetime, datetime]:
    """The earliest and latest start the rules allow at `now` (notice and horizon); a walk-in
    (the front desk booking at the counter) has no notice but an approval's (`domain.booking.notice_of`)."""
    return now + notice_of(offering, walk_in=walk_in), now + timedelta(days=offering.rules.max_advance_days)


def sessions_between(
    offering: OfferingSnapshot, time_zone: str, first: date, last: date, now: datetime, *, walk_in: bool = False
) -> list[Session]:
    """The sessions of [first, last] (local days) that the rules let someone book at `now`: not
    begun, within the notice (unless a walk-in) and the horizon."""
    earliest, latest = bookable_window(offering, now, walk_in=walk_in)
    sessions = sessions_of(offering, time_zone, first, last)
    return [s for s in sessions if earliest <= s.starts_at <= latest and s.starts_at > now]


def sessions_begun(offering: OfferingSnapshot, time_zone: str, first: date, last: date, now: datetime) -> list[Session]:
    """The sessions of [first, last] (local days) the front desk may still record as visits at
    `now`: begun, at most `VISIT_WITHIN` ago (`domain.booking.check_rules`)."""
    sessions = sessions_of(offering, time_zone, first, last)
    return [s for s in sessions if now - VISIT_WITHIN <= s.starts_at <= now]


def session_at(offering: OfferingSnapshot, time_zone: str, starts_at: datetime) -> Session | None:
    """The offering's session that starts exactly at `starts_at`, whatever the rules, or None."""
    local_day = starts_at.astimezone(ZoneInfo(time_zone)).date()
    for session in sessions_of(offering, time_zone, local_day, local_day):
        if session.starts_at == starts_at:
            return session
    return None
