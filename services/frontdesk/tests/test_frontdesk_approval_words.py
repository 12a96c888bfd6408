"""Approvals' words without a browser (issue 25 part 2): the queue's rows name the organisation and
person (never their ids) with the session and deadline on the site's clock, the staff's reason is
refused empty or too long in the desk's language before bookings is asked, how many wait is said
in French, English and Arabic, and a declined or expired booking says why."""

from __future__ import annotations

from frontdesk.domain.approvals import NOTE_MAX, note_refusal, queue_rows, waiting_words
from frontdesk.domain.messages import translator
from frontdesk.domain.rejections import why_rejected
from parkgrid.api.approvals import ApprovalPage

QUEUE = {
    "items": [
        {
            "booking_id": "b-1",
            "offering_id": "off-clinic",
            "offering_title": {"fr": "Clinique juridique", "en": "Legal clinic"},
            "member_id": "m-argan",
            "person_id": "p-salma",
            "site_id": "site-cas",
            # 09:00 UTC is 10:00 in Casablanca (UTC+1) on 14 December 2026, a Monday
            "starts_at": "2026-12-14T09:00:00Z",
            "ends_at": "2026-12-14T10:00:00Z",
            "requested_at": "2026-12-11T08:00:00Z",
            "decide_by": "2026-12-12T08:00:00Z",
        },
        {
            "booking_id": "b-2",
            "offering_id": "off-hall",
            "offering_title": {"fr": "Auditorium", "en": "Auditorium"},
            "member_id": "m-elsewhere",
            "person_id": "p-unknown",
            "site_id": "site-cas",
            "starts_at": "2026-12-15T09:00:00+00:00",
            "ends_at": "2026-12-15T12:00:00+00:00",
            "requested_at": "2026-12-11T09:00:00+00:00",
            "decide_by": "2026-12-13T09:00:00+00:00",
        },
    ],
    "next_cursor": None,
}


def test_the_queue_names_who_asked_and_says_when_on_the_site_clock() -> None:
    queue = ApprovalPage.model_validate(QUEUE)
    t = translator("en")
    rows = queue_rows(queue.items, {"m-argan": "Argan Labs"}, {"p-salma": "Salma Benali"}, "Africa/Casablanca", t)
    assert [r.booking_id for r in rows] == ["b-1", "b-2"]  # bookings' order (the nearest deadline first) kept
    first = rows[0]
    assert (first.offering, first.organisation, first.person) == ("Legal clinic", "Argan Labs", "Salma Benali")
    assert first.session == "Monday 14/12/2026 10:00\u201311:00"
    assert first.deadline == "Saturday 12/12/2026 09:00"
    unnamed = rows[1]  # neither community nor the web app's projection knew them: said so, not by id
    assert (unnamed.organisation, unnamed.person) == ("organisation not shown", "person not shown")
    french = queue_rows(queue.items, {}, {}, "Africa/Casablanca", translator("fr"))
    assert french[0].offering == "Clinique juridique"
    assert french[0].session.startswith("lundi 14/12/2026 10:00")


def test_a_reason_is_required_and_at_most_five_hundred_characters() -> None:
    t = translator("en")
    assert note_refusal("", t) == "Write the reason for declining: the member will read it."
    assert note_refusal("  \n ", t) == "Write the reason for declining: the member will read it."
    assert note_refusal("x" * (NOTE_MAX + 1), t) == "The reason is 501 characters long; 500 at most."
    assert note_refusal("  " + "x" * NOTE_MAX + "  ", t) is None  # what is sent is the reason trimmed
    assert note_refusal("The clinic is full that week.", t) is None
    assert note_refusal("", translator("fr")) == "Écrivez le motif du refus : le membre le lira."
    assert note_refusal("", translator("ar")) == "اكتبوا سبب الرفض: سيقرؤه العضو."


def test_how_many_wait_in_each_language() -> None:
    assert waiting_words(1, False, translator("en")) == "1 booking awaits approval"
    assert waiting_words(3, False, translator("en")) == "3 bookings await approval"
    assert waiting_words(100, True, translator("en")) == "100+ bookings await approval"
    assert waiting_words(3, False, translator("fr")) == "3 réservations attendent votre approbation"
    assert waiting_words(3, False, translator("ar")) == "3 حجوزات تنتظر الموافقة"


def test_a_declined_or_expired_booking_says_why_in_words() -> None:
    t = translator("en")
    assert why_rejected("declined", t) == "the park\u2019s staff declined it"
    assert why_rejected("approval_expired", t) == "nobody at the park confirmed it in time, so its seat was released"
    assert "approval_expired" not in why_rejected("approval_expired", translator("ar"))
    assert t("status.awaiting_approval") == "awaiting confirmation"
