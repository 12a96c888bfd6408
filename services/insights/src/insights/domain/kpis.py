"""The park's KPIs, computed from facts: pure functions, no I/O.

`compute(facts, Scope(...))` folds the facts known at `as_of` into each aggregate's state
at that moment, keeps what belongs to the site (or the whole network) and the range, and
measures. What falls "in the range" is decided in local dates, in the time zone of the
thing measured (a 09:00 session in Casablanca is on its Casablanca date):

- a booking or waitlist entry by its session's start; a community event by its start;
  a reservation by its start in its site's zone; a day pass by its day;
- residencies by their dates (starts_on..ends_on, inclusive);
- stocks (members per stage, residents) are measured at the end of the range, and never
  with facts later than `as_of`;
- money (revenue, receivables, charges) from billing's facts, in integer minor units of MAD:
  `insights.domain.kpis_billing`, where each is defined.

Rates are `None` when their denominator is zero (nothing to measure is not 0 %).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from insights.domain import kpis_billing
from insights.domain.facts import Fact, Histories, History, day, end_of_day, histories_as_of, local_date, moment

NETWORK = "network"
"""The bucket of what belongs to no site (network-wide offerings, online events)."""

SEAT_DAY_KINDS = ("dedicated_desk", "private_office")
HOUR_KINDS = ("meeting_room", "event_hall")
PLACE_DAY_KINDS = ("hot_desk_area",)


@dataclass(frozen=True)
class KpiDefinition:
    name: str
    title_en: str
    title_fr: str
    unit: str
    """`count`, `rate` (0..1), `counts` (a breakdown), `minutes`, `occupancy` (per kind), `amount` (an
    integer of minor units: centimes of MAD) or `amounts` (a breakdown of amounts)."""


DEFINITIONS: tuple[KpiDefinition, ...] = (
    KpiDefinition("bookings", "Bookings", "Réservations", "count"),
    KpiDefinition("bookings_by_category", "Bookings per category", "Réservations par catégorie", "counts"),
    KpiDefinition("bookings_by_site", "Bookings per site", "Réservations par site", "counts"),
    KpiDefinition("confirmation_rate", "Confirmation rate", "Taux de confirmation", "rate"),
    KpiDefinition("rejection_rate", "Rejection rate", "Taux de refus", "rate"),
    KpiDefinition("cancellation_rate", "Cancellation rate", "Taux d'annulation", "rate"),
    KpiDefinition("late_cancellation_rate", "Late-cancellation rate", "Taux d'annulation tardive", "rate"),
    KpiDefinition("no_show_rate", "No-show rate", "Taux d'absence", "rate"),
    KpiDefinition("time_to_confirmation", "Time from request to confirmation", "Délai de confirmation", "minutes"),
    KpiDefinition("waitlist_joined", "Waitlist entries", "Inscriptions en liste d'attente", "count"),
    KpiDefinition("waitlist_promoted", "Waitlist promotions", "Promotions depuis la liste d'attente", "count"),
    KpiDefinition("waitlist_conversion_rate", "Waitlist conversion", "Conversion de la liste d'attente", "rate"),
    KpiDefinition("events", "Community events", "Événements", "count"),
    KpiDefinition("events_completed", "Events held", "Événements tenus", "count"),
    KpiDefinition("events_cancelled", "Events cancelled", "Événements annulés", "count"),
    KpiDefinition("event_registrations", "Event registrations", "Inscriptions aux événements", "count"),
    KpiDefinition("event_fill_rate", "Event fill rate", "Taux de remplissage", "rate"),
    KpiDefinition("event_attendance_rate", "Event attendance", "Taux de présence", "rate"),
    KpiDefinition("event_attendees", "Event attendees", "Participants présents", "count"),
    KpiDefinition(
        "event_waitlist_conversion_rate",
        "Event waitlist conversion",
        "Conversion de la liste d'attente (événements)",
        "rate",
    ),
    KpiDefinition("occupancy", "Occupancy by kind of space", "Occupation par type d'espace", "occupancy"),
    KpiDefinition("residents", "Residents", "Résidents", "count"),
    KpiDefinition("residencies_started", "Residencies started", "Résidences commencées", "count"),
    KpiDefinition("residencies_ended", "Residencies ended", "Résidences terminées", "count"),
    KpiDefinition("residency_turnover_rate", "Residency turnover", "Rotation des résidents", "rate"),
    KpiDefinition("members", "Active members", "Membres actifs", "count"),
    KpiDefinition("members_by_stage", "Members per stage", "Membres par étape", "counts"),
    KpiDefinition("revenue_net_minor", "Invoiced revenue (excl. VAT)", "Chiffre d'affaires facturé HT", "amount"),
    KpiDefinition("revenue_gross_minor", "Invoiced revenue (incl. VAT)", "Chiffre d'affaires facturé TTC", "amount"),
    KpiDefinition(
        "revenue_by_site_minor", "Invoiced revenue per site (excl. VAT)", "Chiffre d'affaires HT par site", "amounts"
    ),
    KpiDefinition("receivables_minor", "Receivables", "Créances clients", "amount"),
    KpiDefinition("receivables_overdue_minor", "Overdue receivables", "Créances échues", "amount"),
    KpiDefinition("invoices_overdue", "Overdue invoices", "Factures échues", "count"),
    KpiDefinition("charges_minor", "Charged for use (excl. VAT)", "Prestations facturables HT", "amount"),
    KpiDefinition(
        "charges_by_cause_minor",
        "Charged per cause: offices, services (excl. VAT)",
        "Prestations par motif : bureaux, services (HT)",
        "amounts",
    ),
)
BY_NAME = {d.name: d for d in DEFINITIONS}


@dataclass(frozen=True)
class Scope:
    """What to measure: a site, some sites (a front desk's), or the network; inclusive local dates; and when."""

    first: date
    last: date
    as_of: datetime
    site_id: str | None = None
    sites: frozenset[str] | None = None
    """Several sites at once (with `site_id` None); None with no `site_id`: the whole network."""

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def covers(self, when: date) -> bool:
        return self.first <= when <= self.last

    def at(self, site_id: str | None) -> bool:
        if self.site_id is not None:
            return site_id == self.site_id
        return self.sites is None or site_id in self.sites

    @property
    def label(self) -> str:
        """The site, the sites joined by `+`, or `network`, as exports and charts name the scope."""
        if self.site_id is not None:
            return self.site_id
        return "network" if self.sites is None else "+".join(sorted(self.sites)) or "no-site"


def ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def compute(facts: Iterable[Fact], scope: Scope) -> dict[str, Any]:
    """Every KPI of DEFINITIONS for the scope."""
    facts = list(facts)
    known = histories_as_of(facts, scope.as_of)
    stock_moment = min(scope.as_of, end_of_day(scope.last))
    at_end = known if stock_moment == scope.as_of else histories_as_of(facts, stock_moment)
    kpis: dict[str, Any] = {}
    kpis.update(_bookings(known, scope))
    kpis.update(_waitlist(known, scope))
    kpis.update(_community_events(known, scope))
    kpis["occupancy"] = _occupancy(known, scope)
    kpis.update(_residencies(known, scope))
    kpis.update(_members(at_end, scope))
    kpis.update(kpis_billing.money(known, scope))
    return kpis


def _of(known: Histories, aggregate: str) -> Mapping[str, History]:
    return known.get(aggregate, {})


# --- bookings ----------------------------------------------------------------------------


def _bookings(known: Histories, scope: Scope) -> dict[str, Any]:
    included = [
        h
        for h in _of(known, "bookings.booking").values()
        if scope.at(h.state.get("site_id"))
        and scope.covers(local_date(h.state["session"]["starts_at"], h.state.get("time_zone")))
    ]
    statuses = Counter(h.state["status"] for h in included)
    confirmed = [h for h in included if "confirmed" in h.verbs()]
    rejected = sum(1 for h in included if "rejected" in h.verbs())
    late = sum(1 for h in included if h.state["status"] == "cancelled" and h.state.get("late"))
    attended = statuses["checked_in"] + statuses["completed"]
    waits: list[float] = []
    for h in confirmed:
        fact = h.first("confirmed")
        assert fact is not None
        waits.append(
            max(0.0, (moment(fact.data["confirmed_at"]) - moment(fact.data["requested_at"])).total_seconds() / 60)
        )
    decided = len(confirmed) + rejected
    return {
        "bookings": len(included),
        "bookings_by_category": dict(sorted(Counter(h.state["category"] for h in included).items())),
        "bookings_by_site": dict(sorted(Counter(h.state.get("site_id") or NETWORK for h in included).items())),
        "confirmation_rate": ratio(len(confirmed), decided),
        "rejection_rate": ratio(rejected, decided),
        "cancellation_rate": ratio(statuses["cancelled"], len(included)),
        "late_cancellation_rate": ratio(late, len(included)),
        "no_show_rate": ratio(statuses["no_show"], statuses["no_show"] + attended),
        "time_to_confirmation": {
            "count": len(waits),
            "median_minutes": statistics.median(waits) if waits else None,
            "mean_minutes": statistics.fmean(waits) if waits else None,
        },
    }


def offering_places(known: Histories) -> dict[str, tuple[str | None, str | None]]:
    """offering id → (site id, time zone), from the catalogue, else from its bookings."""
    places: dict[str, tuple[str | None, str | None]] = {}
    for h in _of(known, "bookings.booking").values():
        places[h.state["offering_id"]] = (h.state.get("site_id"), h.state.get("time_zone"))
    for offering_id, h in _of(known, "catalogue.offering").items():
        places[offering_id] = (h.state.get("site_id"), h.state.get("time_zone"))
    return places


def _waitlist(known: Histories, scope: Scope) -> dict[str, Any]:
    places = offering_places(known)
    joined = promoted = 0
    for h in _of(known, "bookings.waitlist").values():
        site_id, time_zone = places.get(h.state["offering_id"], (None, None))
        if not (scope.at(site_id) and scope.covers(local_date(h.state["session"]["starts_at"], time_zone))):
            continue
        joined += 1
        promoted += "promoted" in h.verbs()
    return {
        "waitlist_joined": joined,
        "waitlist_promoted": promoted,
        "waitlist_conversion_rate": ratio(promoted, joined),
    }


# --- community events ----------------------------------------------------------------------


def _community_events(known: Histories, scope: Scope) -> dict[str, Any]:
    events = {
        event_id: h.state
        for event_id, h in _of(known, "community.event").items()
        if h.state["status"] in ("published", "completed", "cancelled")
        and scope.at(h.state.get("site_id"))
        and scope.covers(local_date(h.state["time"]["starts_at"], h.state.get("time_zone")))
    }
    registrations: dict[str, list[History]] = {}
    for h in _of(known, "community.registration").values():
        if h.state["event_id"] in events:
            registrations.setdefault(h.state["event_id"], []).append(h)
    capacity = seated_capped = attended_completed = seated_completed = attendees = 0
    waitlisted = promoted = 0
    for event_id, event in events.items():
        regs = registrations.get(event_id, [])
        seated = sum(1 for r in regs if r.state["status"] in ("confirmed", "checked_in"))
        checked_in = sum(1 for r in regs if r.state["status"] == "checked_in")
        waitlisted += sum(1 for r in regs if "waitlisted" in r.verbs())
        promoted += sum(1 for r in regs if "promoted" in r.verbs())
        attendees += checked_in
        if event["status"] == "cancelled":
            continue
        capacity += event["capacity"]
        seated_capped += min(seated, event["capacity"])
        if event["status"] == "completed":
            seated_completed += seated
            attended_completed += checked_in
    statuses = Counter(e["status"] for e in events.values())
    return {
        "events": len(events),
        "events_completed": statuses["completed"],
        "events_cancelled": statuses["cancelled"],
        "event_registrations": sum(len(r) for r in registrations.values()),
        "event_fill_rate": ratio(seated_capped, capacity),
        "event_attendance_rate": ratio(attended_completed, seated_completed),
        "event_attendees": attendees,
        "event_waitlist_conversion_rate": ratio(promoted, waitlisted),
    }


# --- spaces ----------------------------------------------------------------------------------


def open_hours(site: Mapping[str, Any] | None, days: list[date]) -> float:
    """Opening hours of a site over these local days, closures left out."""
    if site is None:
        return 0.0
    closures = [(day(c["first_day"]), day(c["last_day"])) for c in site.get("closures", [])]
    per_weekday: dict[int, float] = {}
    for window in site.get("opening_hours", []):
        opens_h, opens_m = map(int, window["opens"].split(":"))
        closes_h, closes_m = map(int, window["closes"].split(":"))
        hours = (closes_h * 60 + closes_m - opens_h * 60 - opens_m) / 60
        per_weekday[window["weekday"]] = per_weekday.get(window["weekday"], 0.0) + hours
    return sum(
        per_weekday.get(d.isoweekday(), 0.0) for d in days if not any(first <= d <= last for first, last in closures)
    )


def _occupancy(known: Histories, scope: Scope) -> dict[str, dict[str, Any]]:
    days = scope.days()
    sites = {site_id: h.state for site_id, h in _of(known, "spaces.site").items()}
    spaces = {space_id: h.state for space_id, h in _of(known, "spaces.space").items()}
    capacity: defaultdict[str, float] = defaultdict(float)
    used: defaultdict[str, float] = defaultdict(float)
    hours_by_site = {site_id: open_hours(site, days) for site_id, site in sites.items()}
    for space in spaces.values():
        if space.get("status", "active") != "active" or not scope.at(space["site_id"]):
            continue
        kind = space["kind"]
        if kind in HOUR_KINDS:
            capacity[kind] += hours_by_site.get(space["site_id"], 0.0)
        else:
            capacity[kind] += space["capacity"] * len(days)
    for h in _of(known, "spaces.day_pass").values():
        if scope.at(h.state["site_id"]) and scope.covers(day(h.state["day"])):
            kind = spaces.get(h.state["space_id"], {}).get("kind", "hot_desk_area")
            used[kind] += 1
    for h in _of(known, "spaces.residency").values():
        residency = h.state
        if not scope.at(residency["site_id"]):
            continue
        first = max(scope.first, day(residency["starts_on"]))
        last = min(scope.last, day(residency["ends_on"]))
        if first <= last:
            used[residency["space_kind"]] += residency["seats"] * ((last - first).days + 1)
    for h in _of(known, "spaces.reservation").values():
        reservation = h.state
        if reservation["status"] != "confirmed" or not scope.at(reservation["site_id"]):
            continue
        time_zone = sites.get(reservation["site_id"], {}).get("time_zone")
        if not scope.covers(local_date(reservation["time"]["starts_at"], time_zone)):
            continue
        kind = spaces.get(reservation.get("space_id") or "", {}).get("kind") or reservation["requirement"]["kind"]
        duration = moment(reservation["time"]["ends_at"]) - moment(reservation["time"]["starts_at"])
        used[kind] += duration.total_seconds() / 3600
    result: dict[str, dict[str, Any]] = {}
    for kind in sorted(set(capacity) | set(used)):
        unit = "hours" if kind in HOUR_KINDS else "place_days" if kind in PLACE_DAY_KINDS else "seat_days"
        result[kind] = {
            "unit": unit,
            "capacity": capacity[kind],
            "used": used[kind],
            "rate": ratio(used[kind], capacity[kind]),
        }
    return result


def _residencies(known: Histories, scope: Scope) -> dict[str, Any]:
    residencies = [h.state for h in _of(known, "spaces.residency").values() if scope.at(h.state["site_id"])]

    def residents_on(when: date) -> set[str]:
        return {r["member_id"] for r in residencies if day(r["starts_on"]) <= when <= day(r["ends_on"])}

    at_start, at_end = residents_on(scope.first), residents_on(scope.last)
    today = scope.as_of.date()
    # Spaces ends a residency early with an event; one that simply reached its planned end has none.
    ended = [
        r
        for r in residencies
        if scope.covers(day(r["ends_on"])) and (r["status"] == "ended" or day(r["ends_on"]) < today)
    ]
    leavers = {r["member_id"] for r in ended} - at_end
    return {
        "residents": len(at_end),
        "residencies_started": sum(1 for r in residencies if scope.covers(day(r["starts_on"]))),
        "residencies_ended": len(ended),
        "residency_turnover_rate": ratio(len(leavers), len(at_start)),
    }


# --- members -----------------------------------------------------------------------------------


def _members(known: Histories, scope: Scope) -> dict[str, Any]:
    active = [
        h.state
        for h in _of(known, "community.member").values()
        if h.state["status"] == "active" and scope.at(h.state.get("home_site_id"))
    ]
    return {
        "members": len(active),
        "members_by_stage": dict(sorted(Counter(m["programme"]["stage"] for m in active).items())),
    }


# --- tabular form ------------------------------------------------------------------------------


def rows(kpis: Mapping[str, Any]) -> list[tuple[str, str, Any]]:
    """(kpi, dimension, value) rows: a scalar has an empty dimension, a breakdown one row per key."""
    out: list[tuple[str, str, Any]] = []
    for definition in DEFINITIONS:
        value = kpis.get(definition.name)
        if isinstance(value, Mapping):
            for key, inner in value.items():
                if isinstance(inner, Mapping):
                    out += [(definition.name, f"{key}.{field}", v) for field, v in inner.items()]
                else:
                    out.append((definition.name, str(key), inner))
        else:
            out.append((definition.name, "", value))
    return out
