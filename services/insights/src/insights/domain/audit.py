"""The audit trail: who changed what, when, read from the fact log (issue 22, item 4).

Every event names its actor (`ce_actor`: the person whose request made the change, or
`service:<name>` for a service's own work), and every event carries its aggregate's full
state, so "what changed" is the difference between an event's data and the one before it of
the same aggregate. Pure: the adapter reads the facts, this says what they mean.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from insights.domain.facts import aggregate_of

AUDITED: dict[str, str] = {
    "catalogue.offering": "offering",
    "spaces.site": "site",
    "spaces.space": "space",
    "spaces.residency": "residency",
    "community.member": "member",
    "community.event": "event",
}
"""The aggregates whose changes the trail answers for (by topic), and what an admin calls each."""

KINDS = {kind: aggregate for aggregate, kind in AUDITED.items()}


def kind_of(event_type: str) -> str:
    """`parkgrid.catalogue.offering.updated` → `offering`."""
    return AUDITED[aggregate_of(event_type)]


SHOWN = 160
"""How many characters of a value a change shows: enough for a price or a name, not a whole list."""


@dataclass(frozen=True)
class Change:
    field: str
    before: str | None
    after: str | None


def shown(value: Any) -> str | None:
    """A value as a change shows it: text as it is, anything else compact, cut at `SHOWN`."""
    if value is None:
        return None
    text = value if isinstance(value, str) else _compact(value)
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


def _compact(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_compact(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_compact(v) for v in value) + "]"
    return str(value).lower() if isinstance(value, bool) else str(value)


def changes(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[Change]:
    """The top-level fields an event changed, against the aggregate's previous event; none for
    its first (its type says it was created)."""
    if before is None:
        return []
    fields = sorted(set(before) | set(after))
    return [Change(f, shown(before.get(f)), shown(after.get(f))) for f in fields if before.get(f) != after.get(f)]
