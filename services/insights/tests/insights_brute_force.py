"""The KPIs of README's definitions, computed the slow, obvious way from a list of envelopes:
the acceptance tests compare the service's answers with this."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from parkgrid.envelope import Envelope


def local_day(value: str, tz: str | None) -> date:
    return datetime.fromisoformat(value).astimezone(ZoneInfo(tz or "UTC")).date()


def rate(a: float, b: float) -> float | None:
    return a / b if b else None


class Known:
    """What was known at a moment: each aggregate's newest data, and the data of each verb it went through."""

    def __init__(self, envelopes: list[Envelope], moment: datetime) -> None:
        self.latest: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
        self.verbs: dict[tuple[str, str], dict[str, tuple[int, dict[str, Any]]]] = defaultdict(dict)
        for e in envelopes:
            if e.time > moment:
                continue
            key = (".".join(e.type.split(".")[1:3]), e.subject)
            if key not in self.latest or self.latest[key][0] < e.sequence:
                self.latest[key] = (e.sequence, e.data)
            verb = e.type.rsplit(".", 1)[1]
            if verb not in self.verbs[key] or self.verbs[key][verb][0] > e.sequence:
                self.verbs[key][verb] = (e.sequence, e.data)

    def all(self, aggregate: str) -> list[tuple[str, dict[str, Any]]]:
        return [(k[1], v[1]) for k, v in self.latest.items() if k[0] == aggregate]

    def went_through(self, aggregate: str, subject: str, verb: str) -> dict[str, Any] | None:
        found = self.verbs[(aggregate, subject)].get(verb)
        return None if found is None else found[1]


def kpis(envelopes: list[Envelope], first: date, last: date, as_of: datetime, site: str | None) -> dict[str, Any]:
    known = Known(envelopes, as_of)

    def here(site_id: str | None) -> bool:
        return site is None or site_id == site

    out: dict[str, Any] = {}
    # bookings
    bookings = [
        (i, d)
        for i, d in known.all("bookings.booking")
        if here(d["site_id"]) and first <= local_day(d["session"]["starts_at"], d["time_zone"]) <= last
    ]
    out["bookings"] = len(bookings)
    by_category: dict[str, int] = defaultdict(int)
    by_site: dict[str, int] = defaultdict(int)
    confirmed = rejected = cancelled = late = no_show = attended = 0
    waits = []
    for booking_id, d in bookings:
        by_category[d["category"]] += 1
        by_site[d["site_id"] or "network"] += 1
        was_confirmed = known.went_through("bookings.booking", booking_id, "confirmed")
        if was_confirmed is not None:
            confirmed += 1
            delta = datetime.fromisoformat(was_confirmed["confirmed_at"]) - datetime.fromisoformat(
                was_confirmed["requested_at"]
            )
            waits.append(max(0.0, delta.total_seconds() / 60))
        if known.went_through("bookings.booking", booking_id, "rejected") is not None:
            rejected += 1
        if d["status"] == "cancelled":
            cancelled += 1
            late += bool(d.get("late"))
        no_show += d["status"] == "no_show"
        attended += d["status"] in ("checked_in", "completed")
    out["bookings_by_category"] = dict(by_category)
    out["bookings_by_site"] = dict(by_site)
    out["confirmation_rate"] = rate(confirmed, confirmed + rejected)
    out["rejection_rate"] = rate(rejected, confirmed + rejected)
    out["cancellation_rate"] = rate(cancelled, len(bookings))
    out["late_cancellation_rate"] = rate(late, len(bookings))
    out["no_show_rate"] = rate(no_show, no_show + attended)
    out["time_to_confirmation"] = {
        "count": len(waits),
        "median_minutes": statistics.median(waits) if waits else None,
        "mean_minutes": sum(waits) / len(waits) if waits else None,
    }
    # waitlists: the offering's place from its bookings
    places = {d["offering_id"]: (d["site_id"], d["time_zone"]) for _, d in known.all("bookings.booking")}
    joined = promoted = 0
    for entry_id, d in known.all("bookings.waitlist"):
        site_id, tz = places.get(d["offering_id"], (None, None))
        if here(site_id) and first <= local_day(d["session"]["starts_at"], tz) <= last:
            joined += 1
            promoted += known.went_through("bookings.waitlist", entry_id, "promoted") is not None
    out.update(waitlist_joined=joined, waitlist_promoted=promoted, waitlist_conversion_rate=rate(promoted, joined))
    # community events
    events = {
        i: d
        for i, d in known.all("community.event")
        if d["status"] != "draft"
        and here(d["site_id"])
        and first <= local_day(d["time"]["starts_at"], d["time_zone"]) <= last
    }
    regs = [(i, d) for i, d in known.all("community.registration") if d["event_id"] in events]
    capacity = sum(e["capacity"] for e in events.values() if e["status"] != "cancelled")
    seated: dict[str, int] = defaultdict(int)
    checked: dict[str, int] = defaultdict(int)
    for _, d in regs:
        seated[d["event_id"]] += d["status"] in ("confirmed", "checked_in")
        checked[d["event_id"]] += d["status"] == "checked_in"
    live = [i for i, e in events.items() if e["status"] != "cancelled"]
    completed = [i for i, e in events.items() if e["status"] == "completed"]
    out["events"] = len(events)
    out["events_completed"] = len(completed)
    out["events_cancelled"] = sum(1 for e in events.values() if e["status"] == "cancelled")
    out["event_registrations"] = len(regs)
    out["event_fill_rate"] = rate(sum(min(seated[i], events[i]["capacity"]) for i in live), capacity)
    out["event_attendance_rate"] = rate(sum(checked[i] for i in completed), sum(seated[i] for i in completed))
    out["event_attendees"] = sum(checked.values())
    waitlisted = sum(1 for i, _ in regs if known.went_through("community.registration", i, "waitlisted"))
    lifted = sum(1 for i, _ in regs if known.went_through("community.registration", i, "promoted"))
    out["event_waitlist_conversion_rate"] = rate(lifted, waitlisted)
    # occupancy
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    sites = dict(known.all("spaces.site"))
    spaces = dict(known.all("spaces.space"))

    def open_hours(site_id: str) -> float:
        site_data = sites.get(site_id)
        if site_data is None:
            return 0.0
        total = 0.0
        for d in days:
            if any(c["first_day"] <= d.isoformat() <= c["last_day"] for c in site_data["closures"]):
                continue
            for w in site_data["opening_hours"]:
                if w["weekday"] == d.isoweekday():
                    o, cl = w["opens"].split(":"), w["closes"].split(":")
                    total += (int(cl[0]) * 60 + int(cl[1]) - int(o[0]) * 60 - int(o[1])) / 60
        return total

    cap: dict[str, float] = defaultdict(float)
    used: dict[str, float] = defaultdict(float)
    for sp in spaces.values():
        if sp["status"] == "active" and here(sp["site_id"]):
            if sp["kind"] in ("meeting_room", "event_hall"):
                cap[sp["kind"]] += open_hours(sp["site_id"])
            else:
                cap[sp["kind"]] += sp["capacity"] * len(days)
    for _, d in known.all("spaces.day_pass"):
        if here(d["site_id"]) and first.isoformat() <= d["day"] <= last.isoformat():
            used[spaces[d["space_id"]]["kind"]] += 1
    for _, d in known.all("spaces.residency"):
        if here(d["site_id"]):
            for n in days:
                if d["starts_on"] <= n.isoformat() <= d["ends_on"]:
                    used[d["space_kind"]] += d["seats"]
    for _, d in known.all("spaces.reservation"):
        tz = sites.get(d["site_id"], {}).get("time_zone")
        if d["status"] == "confirmed" and here(d["site_id"]) and first <= local_day(d["time"]["starts_at"], tz) <= last:
            span = datetime.fromisoformat(d["time"]["ends_at"]) - datetime.fromisoformat(d["time"]["starts_at"])
            used[spaces[d["space_id"]]["kind"]] += span.total_seconds() / 3600
    unit = {"meeting_room": "hours", "event_hall": "hours", "hot_desk_area": "place_days"}
    out["occupancy"] = {
        k: {"unit": unit.get(k, "seat_days"), "capacity": cap[k], "used": used[k], "rate": rate(used[k], cap[k])}
        for k in set(cap) | set(used)
    }
    # residencies
    residencies = [d for _, d in known.all("spaces.residency") if here(d["site_id"])]

    def residents(on: date) -> set[str]:
        return {d["member_id"] for d in residencies if d["starts_on"] <= on.isoformat() <= d["ends_on"]}

    ended = [
        d
        for d in residencies
        if first.isoformat() <= d["ends_on"] <= last.isoformat()
        and (d["status"] == "ended" or d["ends_on"] < as_of.date().isoformat())
    ]
    out["residents"] = len(residents(last))
    out["residencies_started"] = sum(1 for d in residencies if first.isoformat() <= d["starts_on"] <= last.isoformat())
    out["residencies_ended"] = len(ended)
    out["residency_turnover_rate"] = rate(len({d["member_id"] for d in ended} - residents(last)), len(residents(first)))
    # members, at the end of the range at the latest
    end = min(as_of, datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1, microseconds=-1))
    members = [d for _, d in Known(envelopes, end).all("community.member") if d["status"] == "active"]
    members = [d for d in members if here(d["home_site_id"])]
    out["members"] = len(members)
    stages: dict[str, int] = defaultdict(int)
    for d in members:
        stages[d["programme"]["stage"]] += 1
    out["members_by_stage"] = dict(stages)
    out.update(money(known, first, last, as_of, here))
    return out


def money(known: Known, first: date, last: date, as_of: datetime, here: Callable[[str | None], bool]) -> dict[str, Any]:
    """Revenue, receivables and charges of README's definitions, in dirhams' centimes only."""
    out: dict[str, Any] = {}
    documents = [(i, d) for i, d in known.all("billing.invoice") if d["currency"] == "MAD"]
    payments = [d for _, d in known.all("billing.payment") if d["currency"] == "MAD"]

    def signed(d: dict[str, Any], amount: str) -> int:
        value: int = d[amount]
        return -value if d["kind"] == "credit_note" else value

    issued = [d for _, d in documents if here(d["site_id"]) and first.isoformat() <= d["issued_on"] <= last.isoformat()]
    out["revenue_net_minor"] = sum(signed(d, "net_minor") for d in issued)
    out["revenue_gross_minor"] = sum(signed(d, "total_minor") for d in issued)
    by_site: dict[str, int] = defaultdict(int)
    for d in issued:
        by_site[d["site_id"]] += signed(d, "net_minor")
    out["revenue_by_site_minor"] = dict(by_site)
    out["receivables_minor"] = sum(signed(d, "total_minor") for _, d in documents if here(d["site_id"])) - sum(
        p["amount_minor"] for p in payments if here(p["site_id"])
    )
    overdue = late = 0
    for invoice_id, d in documents:
        if d["kind"] != "invoice" or not here(d["site_id"]):
            continue
        if known.went_through("billing.invoice", invoice_id, "settled") is not None:
            continue
        if as_of.date().isoformat() <= d["due_on"]:
            continue
        left = d["total_minor"]
        left -= sum(p["amount_minor"] for p in payments if p["invoice_id"] == invoice_id)
        left -= sum(n["total_minor"] for _, n in documents if n["credits_invoice_id"] == invoice_id)
        if left > 0:
            overdue += left
            late += 1
    out["receivables_overdue_minor"] = overdue
    out["invoices_overdue"] = late
    by_cause: dict[str, int] = defaultdict(int)
    for _, d in known.all("billing.charge"):
        if (
            d["status"] != "voided"
            and d["currency"] == "MAD"
            and here(d["site_id"])
            and first.isoformat() <= d["billable_on"] <= last.isoformat()
        ):
            by_cause[d["cause"]] += d["net_minor"]
    out["charges_minor"] = sum(by_cause.values())
    out["charges_by_cause_minor"] = dict(by_cause)
    return out


def assert_same(actual: Any, expected: Any, path: str = "kpis") -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: {actual!r} is not a mapping"
        assert set(actual) == set(expected), f"{path}: keys {sorted(actual)} != {sorted(expected)}"
        for key in expected:
            assert_same(actual[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, float) or isinstance(actual, float):
        assert actual is not None, f"{path}: {actual!r} != {expected!r}"
        assert expected is not None, f"{path}: {actual!r} != {expected!r}"
        assert abs(actual - expected) < 1e-9, f"{path}: {actual!r} != {expected!r}"
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"
