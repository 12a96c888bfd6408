"""How the member portal lays out time and places: slots grouped by local day (weekday and
date in the reader's language, on the site's clock), whether a cancellation now is late by the
offering's own window, and a site's name. Presentation only: bookings and catalogue decide."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from frontdesk.domain.messages import Translate
from parkgrid.api.bookings import SlotRead


@dataclass
class SlotDay:
    """One local day of an offering's sessions, soonest first; full ones included (they offer the waitlist)."""

    day: date
    slots: list[SlotRead] = field(default_factory=list)


def instant(value: datetime | str) -> datetime:
    """An instant as the services write it (RFC 3339 text in the read models, or a datetime)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def slot_days(slots: Iterable[SlotRead], time_zone: str) -> list[SlotDay]:
    zone = ZoneInfo(time_zone)
    days: dict[date, SlotDay] = {}
    for slot in sorted(slots, key=lambda s: instant(s.starts_at)):
        local = instant(slot.starts_at).astimezone(zone).date()
        days.setdefault(local, SlotDay(local)).slots.append(slot)
    return list(days.values())


def day_label(day: date, t: Translate) -> str:
    """`lundi 14/12/2026`, `Monday 14/12/2026`, `الاثنين 14/12/2026`."""
    return f"{t.weekday(day)} {day.strftime('%d/%m/%Y')}"


def local_day_label(moment: datetime | str, time_zone: str, t: Translate) -> str:
    """The weekday and date of an instant on a site's clock, and its local time."""
    local = instant(moment).astimezone(ZoneInfo(time_zone))
    return f"{day_label(local.date(), t)} {local.strftime('%H:%M')}"


def cancelling_is_late(starts_at: datetime | str, window_minutes: int, now: datetime) -> bool:
    """Cancelling now falls inside the offering's cancellation window (bookings' own rule: credits stay used)."""
    return now > instant(starts_at) - timedelta(minutes=window_minutes)


def site_name(site_id: str | None, names: Mapping[str, str], t: Translate) -> str:
    """A site by its name; a network-wide offering says so; a site whose name is unknown, by its id."""
    if not site_id:
        return t("portal.network")
    return names.get(site_id, site_id)
