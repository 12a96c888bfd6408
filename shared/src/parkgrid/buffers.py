"""Preparation and cleaning time around the reservations of a room: one rule for the guard and the offer.

Spaces decides a reservation (its calendar's version-guarded write) and bookings offers only the
slots spaces would confirm; both ask this module, on the same facts (a space's own settings and
its site's defaults by kind of space, as spaces publishes them), so what is offered is what can be
confirmed. Pure: no I/O, no clock.

Which buffer applies, each side on its own (before, then after):

1. the space's own `buffer_before_minutes` / `buffer_after_minutes`, when set (0 included: "none
   here", whatever the site's default);
2. else the space's `buffer_minutes` when above 0: the one setting of old clients and old events,
   meaning both sides;
3. else the site's default for the space's kind (the site's `buffers`);
4. else none.

What a buffer keeps: no other reservation falls into a reservation's preparation (the `before`
minutes up to its start) or its cleaning (the `after` minutes from its end). Two neighbours'
buffers may overlap (the cleaning after one is the preparation of the next), so between an
earlier and a later reservation of one room at least the larger of `after` and `before` stays
free. That is what `buffer_minutes` always meant ("kept free between two reservations", the same
time before and after): a space with only that setting is decided exactly as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

LONGEST_BUFFER_MINUTES = 240
"""The contract's bound on any one buffer: how far around a range a reader must look for holds."""


@dataclass(frozen=True)
class Buffers:
    """A room's preparation (`before`) and cleaning (`after`) time, in minutes."""

    before: int = 0
    after: int = 0

    @property
    def widest(self) -> timedelta:
        """The gap kept between two reservations of the room (the larger side)."""
        return timedelta(minutes=max(self.before, self.after))

    def keeps_clear(self, starts_at: datetime, ends_at: datetime, held_from: datetime, held_until: datetime) -> bool:
        """[starts_at, ends_at) and a range already held leave each other's preparation and cleaning free."""
        before, after = timedelta(minutes=self.before), timedelta(minutes=self.after)
        into_held = starts_at - before < held_until and held_from < ends_at + after
        held_into = held_from - before < ends_at and starts_at < held_until + after
        return not (into_held or held_into)


def side(own: int | None, legacy: int | None, default: int | None) -> int:
    """One side's buffer: the space's own, else its old `buffer_minutes` (above 0), else the kind's default."""
    if own is not None:
        return own
    if legacy:
        return legacy
    return default or 0


def buffers_of(space: Mapping[str, Any], site_buffers: Mapping[str, Any] | None) -> Buffers:
    """The effective buffers of a space (its stored or projected fields: `kind`, `buffer_minutes`,
    `buffer_before_minutes`, `buffer_after_minutes`) at a site whose defaults by kind are
    `site_buffers` (`{kind: {"before_minutes": …, "after_minutes": …}}`; None or {} for none)."""
    kind = space.get("kind")
    kind = getattr(kind, "value", kind)
    default = (site_buffers or {}).get(str(kind)) or {}
    legacy = space.get("buffer_minutes")
    return Buffers(
        before=side(space.get("buffer_before_minutes"), legacy, default.get("before_minutes")),
        after=side(space.get("buffer_after_minutes"), legacy, default.get("after_minutes")),
    )
