"""What the insights service's routes answer: the KPIs of a scope (JSON; CSV and SVG are not models).

Every KPI of `insights.domain.kpis.DEFINITIONS`, by name: counts are integers, rates are
0..1 or null when there is nothing to divide by, breakdowns map a key to a count. Amounts
(`*_minor`, from billing's events) are integers of minor units (centimes of MAD), as billing's
own contracts keep them: never floats. They were added after the others, so they default to
zero (or empty) for a client reading an answer from an insights that does not compute them yet.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, Field

from parkgrid.http.models import ReadModel

MINOR = "Minor units (centimes) of MAD."


class TimeToConfirmation(ReadModel):
    count: int
    median_minutes: float | None = None
    mean_minutes: float | None = None


class Occupancy(ReadModel):
    """One kind of space: capacity and use in `unit` (hours, seat_days or place_days)."""

    unit: str
    capacity: float
    used: float
    rate: float | None = None


class Kpis(ReadModel):
    """Every KPI of the scope; a KPI added later appears here too (unknown names are kept)."""

    model_config = ConfigDict(extra="allow")

    bookings: int
    bookings_by_category: dict[str, int]
    bookings_by_site: dict[str, int]
    confirmation_rate: float | None
    rejection_rate: float | None
    cancellation_rate: float | None
    late_cancellation_rate: float | None
    no_show_rate: float | None
    time_to_confirmation: TimeToConfirmation
    waitlist_joined: int
    waitlist_promoted: int
    waitlist_conversion_rate: float | None
    events: int
    events_completed: int
    events_cancelled: int
    event_registrations: int
    event_fill_rate: float | None
    event_attendance_rate: float | None
    event_attendees: int
    event_waitlist_conversion_rate: float | None
    occupancy: dict[str, Occupancy]
    residents: int
    residencies_started: int
    residencies_ended: int
    residency_turnover_rate: float | None
    members: int
    members_by_stage: dict[str, int]
    revenue_net_minor: int = Field(
        0, description=f"Invoices issued in the range (by issued_on) less credit notes, net of VAT. {MINOR}"
    )
    revenue_gross_minor: int = Field(0, description=f"The same, VAT included. {MINOR}")
    revenue_by_site_minor: dict[str, int] = Field(
        default_factory=dict, description=f"Net invoiced revenue per site. {MINOR}"
    )
    receivables_minor: int = Field(
        0,
        description="Owed at as_of: invoices' totals less credit notes and payments (negative: paid in "
        f"advance). {MINOR}",
    )
    receivables_overdue_minor: int = Field(
        0, description=f"What is left to pay at as_of on invoices past their due date and not settled. {MINOR}"
    )
    invoices_overdue: int = Field(0, description="Invoices past their due date at as_of and not settled.")
    charges_minor: int = Field(
        0, description=f"Charged for what was used in the range (by billable_on), voided left out, net. {MINOR}"
    )
    charges_by_cause_minor: dict[str, int] = Field(
        default_factory=dict,
        description=f"The same per cause: residency (offices, desks), booking, day_pass, fees. {MINOR}",
    )


class Title(ReadModel):
    en: str
    fr: str


class KpiDefinition(ReadModel):
    name: str
    unit: str = Field(
        description="count, rate (0..1), counts (a breakdown), minutes, occupancy (per kind), amount "
        "(minor units of MAD) or amounts (a breakdown of amounts)."
    )
    title: Title


class KpiReport(ReadModel):
    """The KPIs of one scope (a site, a desk's sites, or the network), inclusive local dates, and when."""

    model_config = ConfigDict(populate_by_name=True)

    site_id: str | None = Field(description="The site asked for; null for the network or a front desk's sites.")
    sites: list[str] | None = Field(
        None, description="The sites measured together when none was named (a front desk's own); null otherwise."
    )
    first: str = Field(alias="from", description="First local date, inclusive (YYYY-MM-DD).")
    last: str = Field(alias="to", description="Last local date, inclusive (YYYY-MM-DD).")
    as_of: str = Field(description="The instant the KPIs stood at (ISO-8601 with its offset).")
    kpis: Kpis
    definitions: list[KpiDefinition]


class AuditChange(ReadModel):
    """One field an event changed: its value before and after, as text (cut when long)."""

    field: str
    before: str | None
    after: str | None


class AuditEntry(ReadModel):
    """One change of an audited object: who made it, when, and what it changed."""

    event_id: str
    type: str = Field(description="The event's type, e.g. `parkgrid.catalogue.offering.updated`.")
    kind: str = Field(description="offering, site, space, residency, member or event.")
    object_id: str
    time: datetime
    actor: str | None = Field(
        description="`<role>:<subject>` of the person whose request made it, `service:<name>` for a "
        "service's own work; null for events written before actors were recorded."
    )
    changes: list[AuditChange] = Field(description="Empty for the object's first event (its creation).")


class AuditPage(ReadModel):
    items: list[AuditEntry]
    next_cursor: str | None = Field(None, description="Opaque; pass it as `cursor` for the next (older) page.")
