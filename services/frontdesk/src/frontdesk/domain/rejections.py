"""Why a booking was refused, in the member's words: bookings answers a reason code
(`BookingRejected`'s `no_space`, `full`, `not_eligible`, `rules`, `offering_withdrawn`,
`hold_expired`), the page says it in the reader's language; a code this app does not know yet
is shown as it is, never hidden behind a bare "rejected"."""

from __future__ import annotations

from frontdesk.domain.messages import Translate

REASONS = (
    "no_space",
    "full",
    "not_eligible",
    "rules",
    "offering_withdrawn",
    "hold_expired",
    "declined",
    "approval_expired",
)
"""`declined` and `approval_expired`: an offering that requires staff approval, declined by its
site's staff (their reason is the booking's `decline_note`) or decided by nobody in time."""


def why_rejected(reason: str | None, t: Translate) -> str:
    """The sentence that says why (`rejected.<code>`), or the code itself inside a generic one."""
    code = (reason or "").strip()
    if code in REASONS:
        return t(f"rejected.{code}")
    return t("rejected.other", reason=code or "?")
