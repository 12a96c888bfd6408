"""A site's room settings in the web app's words: each room's preparation (before) and cleaning
(after) time, the site's defaults by kind of space and its no-show release, read from the admin's
forms and checked here first so a wrong value is said next to its field in the person's language
(spaces would refuse it too, in English).

What a room's form shows is what decides it (`parkgrid.buffers`, the rule spaces and bookings
share): its own minutes, else its old one setting (`buffer_minutes`, both sides), else blank,
meaning the site's default for its kind; the effective minutes are shown beside."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from frontdesk.domain.forms import FormErrors
from frontdesk.domain.messages import Translate
from parkgrid.buffers import LONGEST_BUFFER_MINUTES, buffers_of
from parkgrid.contracts.common import SpaceKind

KINDS = tuple(k.value for k in SpaceKind)
SIDES = ("before", "after")
RELEASE = "no_show_release_minutes"
RELEASE_RANGE = (5, 240)
"""The release the site's contract takes (spaces' `SiteSnapshot.no_show_release_minutes`)."""
BUFFER_RANGE = (0, LONGEST_BUFFER_MINUTES)


@dataclass
class Typed:
    """What a form asks for (the changes to send), the fields as typed (to draw the form again)
    and each refused field's message."""

    changes: dict[str, Any] = field(default_factory=dict)
    typed: dict[str, str] = field(default_factory=dict)
    errors: FormErrors = field(default_factory=FormErrors)


def minutes(raw: str | None, bounds: tuple[int, int], name: str, t: Translate, found: Typed) -> int | None:
    """Minutes typed in a field: None when blank; a number outside `bounds` or no number is refused
    next to the field `name`."""
    text = (raw or "").strip()
    found.typed[name] = text
    if not text:
        return None
    low, high = bounds
    if not text.isdigit() or not low <= int(text) <= high:
        found.errors.fields[name] = t("rooms.minutes_invalid", low=low, high=high)
        return None
    return int(text)


def buffer_field(kind: str, side: str) -> str:
    return f"buffers-{kind}-{side}"


def room_field(space_id: str, side: str) -> str:
    return f"room-{space_id}-{side}"


def site_from_form(form: Mapping[str, str], t: Translate) -> Typed:
    """The site's release and defaults by kind as spaces' PATCH takes them; a kind left blank on
    both sides has no default (the map is replaced whole), one side blank is 0."""
    found = Typed()
    release = minutes(form.get(RELEASE), RELEASE_RANGE, RELEASE, t, found)
    buffers: dict[str, dict[str, int]] = {}
    for kind in KINDS:
        before, after = (
            minutes(form.get(buffer_field(kind, s)), BUFFER_RANGE, buffer_field(kind, s), t, found) for s in SIDES
        )
        if before is not None or after is not None:
            buffers[kind] = {"before_minutes": before or 0, "after_minutes": after or 0}
    found.changes = {RELEASE: release, "buffers": buffers}
    return found


def room_from_form(space_id: str, form: Mapping[str, str], t: Translate) -> Typed:
    """The room's own minutes (blank: the site's default for its kind). Its old one setting is
    cleared, since the form showed it in both fields and sends both back."""
    found = Typed()
    before, after = (
        minutes(form.get(room_field(space_id, s)), BUFFER_RANGE, room_field(space_id, s), t, found) for s in SIDES
    )
    found.changes = {"buffer_before_minutes": before, "buffer_after_minutes": after, "buffer_minutes": 0}
    return found


def site_typed(site: Any) -> dict[str, str]:
    """The site's form drawn from the site as it stands."""
    typed = {RELEASE: "" if site.no_show_release_minutes is None else str(site.no_show_release_minutes)}
    for kind, kept in (site.buffers or {}).items():
        kind = getattr(kind, "value", kind)
        typed[buffer_field(kind, "before")] = str(kept.before_minutes)
        typed[buffer_field(kind, "after")] = str(kept.after_minutes)
    return typed


def own_minutes(own: int | None, legacy: int) -> str:
    """A side as the room's form shows it: its own minutes, else its old one setting, else blank."""
    if own is not None:
        return str(own)
    return str(legacy) if legacy else ""


@dataclass(frozen=True)
class RoomRow:
    """A room on the page: its form's values, and what applies (its own or its site's default)."""

    space_id: str
    name: str
    kind: str
    version: int
    before: str
    after: str
    effective_before: int
    effective_after: int


def room_rows(rooms: list[Any], site: Any | None) -> list[RoomRow]:
    """The site's active rooms by name, each with its own minutes and those that apply."""
    defaults = {getattr(k, "value", k): v.model_dump() for k, v in (site.buffers or {}).items()} if site else {}
    rows = []
    for space in sorted(rooms, key=lambda s: s.name):
        if getattr(space.status, "value", space.status) != "active":
            continue
        applied = buffers_of(space.model_dump(mode="json"), defaults)
        rows.append(
            RoomRow(
                space_id=space.space_id,
                name=space.name,
                kind=str(getattr(space.kind, "value", space.kind)),
                version=space.version,
                before=own_minutes(space.buffer_before_minutes, space.buffer_minutes),
                after=own_minutes(space.buffer_after_minutes, space.buffer_minutes),
                effective_before=applied.before,
                effective_after=applied.after,
            )
        )
    return rows


def changed_errors(problem: Mapping[str, Any], names: Mapping[str, str], t: Translate) -> FormErrors:
    """Spaces' refusal (422), each message next to the form's field whose service field it names
    (`names`: service field → form field); the rest on the form."""
    errors = FormErrors()
    for error in problem.get("errors") or []:
        where = str(error.get("field") or "").split(".")
        placed = next((names[part] for part in reversed(where) if part in names), None)
        message = t("rooms.refused", detail=error.get("message"))
        if placed:
            errors.fields.setdefault(placed, message)
        else:
            errors.general.append(message)
    if not errors:
        errors.general.append(t("rooms.refused", detail=problem.get("detail") or ""))
    return errors
