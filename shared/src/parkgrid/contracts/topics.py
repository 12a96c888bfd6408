"""The topic catalogue: every topic ParkGrid publishes to, declared once.

Facts go to `<service>.<aggregate>`, keyed by aggregate id so each aggregate's events
stay ordered; requests addressed to a service go to `<service>.commands`. Fact topics
keep their whole history (retention -1) so any projection can be rebuilt from offset 0.
This is the single source for creating topics, for producers (`topic_of`) and for the
AsyncAPI document.
"""

from __future__ import annotations

from parkgrid.contracts.privacy import EXPORT_RETENTION_DAYS, EXPORTING_SERVICES
from parkgrid.topics import TopicSpec

SHREDDED_WITHIN_MS = 24 * 3600 * 1000
"""How long a shredded person's key may still be in `community.subject_key`'s log (compaction's bound)."""


def _types(prefix: str, *verbs: str) -> tuple[str, ...]:
    return tuple(f"parkgrid.{prefix}.{verb}" for verb in verbs)


TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(
        name="catalogue.offering",
        description="Offerings of the service grid: published, updated, withdrawn.",
        event_types=_types("catalogue.offering", "published", "updated", "withdrawn"),
    ),
    TopicSpec(
        name="bookings.booking",
        partitions=6,
        description="Bookings of offerings and their lifecycle.",
        event_types=_types(
            "bookings.booking",
            "requested",
            "confirmed",
            "rejected",
            "cancelled",
            "checked_in",
            "completed",
            "no_show",
            "awaiting_approval",
        ),
    ),
    TopicSpec(
        name="bookings.waitlist",
        description="Waitlist entries of full sessions.",
        event_types=_types("bookings.waitlist", "joined", "promoted", "left"),
    ),
    TopicSpec(
        name="bookings.series",
        description="Recurring bookings (series): requested with each occurrence's outcome, cancelled.",
        event_types=_types("bookings.series", "requested", "cancelled"),
    ),
    TopicSpec(
        name="bookings.limits",
        key="site id",
        description="Sites' per-period limits per plan (room hours per week, sessions per month), as admins set them.",
        event_types=_types("bookings.limits", "changed"),
    ),
    TopicSpec(
        name="bookings.entitlement",
        description="Members' entitlements: granted, consumed, restored.",
        event_types=_types("bookings.entitlement", "granted", "consumed", "restored"),
    ),
    TopicSpec(
        name="spaces.site",
        partitions=1,
        description="Sites of the network.",
        event_types=_types("spaces.site", "registered", "updated"),
    ),
    TopicSpec(
        name="spaces.space",
        description="Spaces of each site.",
        event_types=_types("spaces.space", "added", "updated", "retired"),
    ),
    TopicSpec(
        name="spaces.residency",
        description="Long-term residencies of member organisations.",
        event_types=_types("spaces.residency", "started", "extended", "moved", "ended"),
    ),
    TopicSpec(
        name="spaces.reservation",
        description="Short-term reservations of spaces: the replies to reservation requests.",
        event_types=_types("spaces.reservation", "confirmed", "refused", "released"),
    ),
    TopicSpec(
        name="spaces.day_pass",
        description="Day passes to hot-desk areas.",
        event_types=_types("spaces.day_pass", "issued"),
    ),
    TopicSpec(
        name="spaces.waitlist",
        description=(
            "Office waitlist entries of each site and office size: joined, offered, accepted, declined, left, "
            "offer lapsed."
        ),
        event_types=_types("spaces.waitlist", "joined", "offered", "accepted", "declined", "left", "offer_lapsed"),
    ),
    TopicSpec(
        name="spaces.visit",
        description="Visitors members register for a day at a site: expected, arrived, left, cancelled.",
        event_types=_types("spaces.visit", "expected", "arrived", "left", "cancelled"),
    ),
    TopicSpec(
        name="spaces.commands",
        key="site id",
        description="Requests to spaces: reserve a space, release a reservation. Keyed by site.",
        event_types=_types("spaces.reservation", "requested", "release_requested"),
    ),
    TopicSpec(
        name="community.member",
        description="Member organisations, their people and programme stage.",
        event_types=_types(
            "community.member",
            "registered",
            "updated",
            "stage_changed",
            "left",
            "person_added",
            "person_removed",
            "person_erased",
        ),
    ),
    TopicSpec(
        name="community.subject_key",
        key="person id",
        cleanup_policy="compact",
        compacted_within_ms=SHREDDED_WITHIN_MS,
        description="Each person's key, which opens their sealed name and email in member events; on "
        "erasure the key is shredded. Compacted: the newest record per person is kept, so a shredded key "
        "leaves the log within a day. Personal data: only readers entitled to it may consume this topic.",
        event_types=_types("community.subject_key", "issued", "shredded"),
    ),
    TopicSpec(
        name="community.event",
        description="Community events: workshops, pitch sessions, demo days, networking, trainings.",
        event_types=_types(
            "community.event", "scheduled", "published", "revised", "rescheduled", "cancelled", "completed"
        ),
    ),
    TopicSpec(
        name="community.registration",
        description="Registrations to community events.",
        event_types=_types("community.registration", "confirmed", "waitlisted", "promoted", "cancelled", "checked_in"),
    ),
    TopicSpec(
        name="billing.charge",
        description="Charges of member organisations for what they used: recorded, voided before invoicing.",
        event_types=_types("billing.charge", "recorded", "voided"),
    ),
    TopicSpec(
        name="billing.invoice",
        description="Invoices and credit notes, numbered without gaps per legal entity: issued, settled.",
        event_types=_types("billing.invoice", "issued", "credit_note_issued", "settled"),
    ),
    TopicSpec(
        name="billing.payment",
        description="Payments of member organisations, as staff recorded them.",
        event_types=_types("billing.payment", "recorded"),
    ),
)

EXPORT_RETENTION_MS = EXPORT_RETENTION_DAYS * 24 * 3600 * 1000
"""Export topics carry personal data on its way to one archive: kept a week, not forever (`contracts.privacy`)."""
TOPICS += (
    TopicSpec(
        name="insights.export",
        partitions=1,
        retention_ms=EXPORT_RETENTION_MS,
        description="Requests for an export of what ParkGrid holds on a member or a person, to every service.",
        event_types=_types("insights.export", "requested"),
    ),
    *(
        TopicSpec(
            name=f"{service}.export",
            partitions=1,
            key="export id",
            retention_ms=EXPORT_RETENTION_MS,
            description=f"{service.capitalize()}'s answers to export requests, in parts (a week's retention).",
            event_types=_types(f"{service}.export", "answered"),
        )
        for service in EXPORTING_SERVICES
    ),
)

_BY_TYPE = {event_type: spec for spec in TOPICS for event_type in spec.event_types}


def topic_of(event_type: str) -> TopicSpec:
    """The topic an event type is published to."""
    try:
        return _BY_TYPE[event_type]
    except KeyError:
        raise KeyError(f"{event_type!r} is in no topic of the catalogue") from None


_BY_NAME = {spec.name: spec for spec in TOPICS}


def topic(name: str) -> TopicSpec:
    """The declared topic called `name` (e.g. `spaces.site`)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"{name!r} is no topic of the catalogue") from None


def topics(*names: str) -> list[TopicSpec]:
    """The declared topics called `names`, in that order."""
    return [topic(name) for name in names]
