"""Approvals as the desk and the member read them (issue 25 part 2): presentation rules only.

Bookings decides (who may approve, whether a booking still awaits, the deadline); this module
words it: the queue's rows with names instead of ids and times on the site's clock, how many wait
(the nav's count, Today's line), and the staff's reason for declining checked before it is sent,
so an empty or overlong reason is said next to its field in the desk's language rather than as
bookings' English 422.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from frontdesk.domain.member_days import local_day_label
from frontdesk.domain.messages import Translate, localized
from frontdesk.domain.today import local_time
from parkgrid.api.approvals import ApprovalRead

NOTE_MAX = 500
"""The longest reason bookings keeps for a declined booking (the member reads it as written)."""


def note_refusal(note: str, t: Translate) -> str | None:
    """Why the reason typed cannot be sent (none, or too long), in the desk's language; None if it can."""
    kept = note.strip()
    if not kept:
        return t("approvals.note_required")
    if len(kept) > NOTE_MAX:
        return t("approvals.note_too_long", max=NOTE_MAX, length=len(kept))
    return None


def waiting_words(count: int, more: bool, t: Translate) -> str:
    """ "3 bookings await approval" (Today's line); `more` when the queue has further pages."""
    if count == 1 and not more:
        return t("approvals.waiting_one")
    shown = f"{count}+" if more else str(count)
    return t("approvals.waiting_many", count=shown)


@dataclass(frozen=True)
class QueueRow:
    """One booking awaiting the desk: what it is, who asked, when, and by when to decide."""

    booking_id: str
    offering: str
    organisation: str
    person: str
    session: str
    deadline: str


def queue_rows(
    items: list[ApprovalRead],
    organisations: Mapping[str, str],
    people: Mapping[str, str],
    time_zone: str,
    t: Translate,
) -> list[QueueRow]:
    """The queue as bookings ordered it (the nearest deadline first), each id replaced by a name:
    an organisation or person the desk cannot name is said so, never shown by its id."""
    return [
        QueueRow(
            booking_id=item.booking_id,
            offering=localized(item.offering_title, t.language),
            organisation=organisations.get(item.member_id) or t("approvals.unknown_member"),
            person=people.get(item.person_id) or t("approvals.unknown_person"),
            session=f"{local_day_label(item.starts_at, time_zone, t)}\u2013{local_time(item.ends_at, time_zone)}",
            deadline=local_day_label(item.decide_by, time_zone, t),
        )
        for item in items
    ]
