"""The dashboard's presentation rules: the insights KPIs (`KpiReport`) as bar charts with their
text alternative, numbers, amounts and dates in the reader's language, and the period an "as of"
date shows.

Each chart is drawn server-side as inline SVG from these shapes (bars' geometry computed here,
mirrored for a right-to-left reader), and the same values are the data table beside it: the
numbers are written next to every bar, so nothing is said by colour alone. Pure: no I/O.

Billing's KPIs (invoiced revenue, receivables, charges by cause) are integer centimes of MAD in the
report; they are said in dirhams by billing's own presentation rule (`frontdesk.domain.billing.money`),
so an amount reads the same on the dashboard as on a member's billing page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from frontdesk.domain.billing import money
from frontdesk.domain.member_days import day_label
from frontdesk.domain.messages import RIGHT_TO_LEFT, Translate, translator
from parkgrid.api.insights import KpiReport, Kpis

PERIOD_DAYS = 30
"""The dashboard shows the 30 local days ending on its "as of" date (insights' own default span)."""

NARROW_SPACE = "\u202f"
DASH = "\u2013"

WIDTH = 640
LABEL_WIDTH = 210
VALUE_ROOM = 90
ROW = 30
BAR = 18
PAD = 8
CHAR_WIDTH = 8
"""About the width of one character of a bar's value (14 px digits, in the SVG's units): an amount's
column is sized by its longest text so that `12 345,67 MAD` is not cut off at the chart's edge."""

CURRENCY = "MAD"
"""Insights counts the network's currency only (every price list is in dirhams): its amounts are centimes of it."""

RESIDENCY = "residency"
"""The charge cause of offices and desks; every other cause (a booking, a day pass, a fee) is a service."""


def period_of(as_of: date) -> tuple[date, date]:
    """The first and last local dates the dashboard shows for `as_of` (inclusive, `PERIOD_DAYS` long)."""
    return as_of - timedelta(days=PERIOD_DAYS - 1), as_of


def number(value: float, language: str, decimals: int = 0) -> str:
    """A number as the reader writes it (CLDR through Babel, Western digits as Moroccan Arabic
    writing has them): `1,234.5` (en), `1 234,5` (fr, narrow no-break space), `1.234,5` (ar)."""
    return translator(language, {}).number(value, decimals)


def percent(rate: float | None, language: str) -> str:
    """A rate (0..1) as a percentage with at most one decimal; an en dash when there was nothing to divide."""
    if rate is None:
        return DASH
    value = round(rate * 100, 1)
    decimals = 0 if value == int(value) else 1
    shown = number(value, language, decimals)
    return f"{shown}%" if language == "en" else f"{shown}{NARROW_SPACE}%"


def count(value: int | float | None, language: str) -> str:
    return DASH if value is None else number(value, language)


def date_label(day: date, t: Translate) -> str:
    """A date with its weekday in the reader's language (the member pages' form)."""
    return day_label(day, t)


@dataclass(frozen=True)
class Bar:
    """One bar: what it measures (translated), its value (None: nothing to measure) and how it reads."""

    key: str
    label: str
    value: float | None
    shown: str
    detail: str = ""
    """What the value is made of, for the table (occupancy: used / capacity)."""


@dataclass(frozen=True)
class BarShape:
    """Where a bar is drawn in its chart's SVG (user units), mirrored for a right-to-left reader."""

    bar: Bar
    y: float
    text_y: float
    label_x: float
    bar_x: float
    bar_width: float
    value_x: float


@dataclass(frozen=True)
class Chart:
    """A bar chart: counts or amounts (scaled to the largest bar; a negative amount draws none) or
    rates (scaled to 100 %)."""

    name: str
    title: str
    unit: str
    bars: list[Bar]
    note: str = ""
    summary: str = ""
    """The chart in one sentence, its text alternative (`summary_of`)."""
    value_room: int = VALUE_ROOM
    """Room after the longest bar for its value (wider for amounts: `amounts_chart`)."""

    @property
    def height(self) -> int:
        return max(1, len(self.bars)) * ROW + 2 * PAD

    def shapes(self, language: str) -> list[BarShape]:
        """The bars' geometry: label column, bar, value after it; all mirrored for right to left."""
        scale = 1.0 if self.unit == "rate" else max([0.0, *(b.value or 0 for b in self.bars)]) or 1.0
        track = WIDTH - LABEL_WIDTH - self.value_room - 2 * PAD
        rtl = language in RIGHT_TO_LEFT
        out = []
        for index, bar in enumerate(self.bars):
            length = round(track * max(0.0, min(1.0, (bar.value or 0) / scale)), 1)
            y = PAD + index * ROW + (ROW - BAR) / 2
            if rtl:
                start = WIDTH - PAD - LABEL_WIDTH
                shape = BarShape(bar, y, y + BAR - 4, start + 6, start - length, length, start - length - 6)
            else:
                start = PAD + LABEL_WIDTH
                shape = BarShape(bar, y, y + BAR - 4, start - 6, start, length, start + length + 6)
            out.append(shape)
        return out


def summary_of(chart: Chart, t: Translate) -> str:
    """`Title: a 3, b 1.` in the reader's punctuation (French puts a space before the colon)."""
    if not chart.bars:
        return chart.title
    return t("dashboard.summary", chart=chart.title, values=", ".join(f"{b.label} {b.shown}" for b in chart.bars))


@dataclass(frozen=True)
class Figure:
    """A headline number above the charts."""

    label: str
    shown: str


@dataclass
class Dashboard:
    """What the dashboard page shows of one KPI report."""

    figures: list[Figure] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    billing: list[Figure] = field(default_factory=list)
    """The money figures (revenue, receivables), in their own group: amounts, not counts."""


def label_of(t: Translate, key: str, fallback: str) -> str:
    """A translated label, or the raw value when the catalogue has none (a category added later)."""
    text = t(key)
    return fallback if text == key else text


def counts_chart(
    name: str, title: str, values: Mapping[str, int], label: Mapping[str, str] | None, language: str
) -> Chart:
    """A breakdown (a key to a count), largest first, each key by its label."""
    ordered = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))
    bars = [Bar(k, (label or {}).get(k, k), float(v), count(v, language)) for k, v in ordered]
    return Chart(name, title, "count", bars)


def amount(minor: int, t: Translate) -> str:
    """Centimes of the network's currency in dirhams as the reader writes them (`1 234,56 MAD`)."""
    return money(minor, CURRENCY, t)


def amounts_chart(name: str, title: str, values: Mapping[str, int], label: Mapping[str, str], t: Translate) -> Chart:
    """A breakdown of amounts (a key to centimes), largest first, each in dirhams; a negative amount
    (more credited than invoiced) draws no bar and says so in its text."""
    ordered = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))
    bars = [Bar(k, label.get(k, k), float(v), amount(v, t)) for k, v in ordered]
    return Chart(name, title, "amount", bars, value_room=value_room_of(bars))


def value_room_of(bars: list[Bar]) -> int:
    """Room for the longest value after a full bar: amounts in dirhams are longer than counts."""
    longest = max((len(b.shown) for b in bars), default=0)
    return max(VALUE_ROOM, CHAR_WIDTH * longest + 2 * 6)


def charges_chart(k: Kpis, t: Translate) -> Chart:
    """What members were charged for what they used, residencies (offices, desks) beside services;
    the services' causes (bookings, day passes, fees) are the table's detail, the total its note."""
    by_cause = k.charges_by_cause_minor
    services = {c: v for c, v in sorted(by_cause.items()) if c != RESIDENCY}
    detail = ", ".join(f"{label_of(t, f'dashboard.cause.{c}', c)} {amount(v, t)}" for c, v in services.items())
    offices, served = by_cause.get(RESIDENCY, 0), sum(services.values())
    bars = [
        Bar(RESIDENCY, t("dashboard.charges.residencies"), float(offices), amount(offices, t)),
        Bar("services", t("dashboard.charges.services"), float(served), amount(served, t), detail),
    ]
    return Chart(
        "charges_by_cause",
        t("dashboard.chart.charges_by_cause"),
        "amount",
        bars if by_cause else [],
        note=t("dashboard.charges.total", amount=amount(k.charges_minor, t)),
        value_room=value_room_of(bars),
    )


def billing_figures(k: Kpis, t: Translate, language: str) -> list[Figure]:
    """Invoiced revenue of the period (excl. and incl. VAT, credit notes deducted) and what members
    owe at the "as of" date, of which overdue (and on how many invoices)."""
    return [
        Figure(t("dashboard.kpi.revenue_net_minor"), amount(k.revenue_net_minor, t)),
        Figure(t("dashboard.kpi.revenue_gross_minor"), amount(k.revenue_gross_minor, t)),
        Figure(t("dashboard.kpi.receivables_minor"), amount(k.receivables_minor, t)),
        Figure(t("dashboard.kpi.receivables_overdue_minor"), amount(k.receivables_overdue_minor, t)),
        Figure(t("dashboard.kpi.invoices_overdue"), count(k.invoices_overdue, language)),
    ]


def dashboard_of(report: KpiReport, t: Translate, language: str, site_names: Mapping[str, str]) -> Dashboard:
    """The KPIs of the report as headline figures and charts in the reader's language.

    Bookings by category (and by site when the report covers more than one), the bookings'
    outcomes (confirmation, refusal, cancellation, late cancellation, no-show), occupancy per
    kind of space, events, residencies (turnover), members per programme stage, charges by cause
    and invoiced revenue by site (when the report covers more than one); billing's figures apart."""
    k = report.kpis

    def rate(name: str) -> Bar:
        value = getattr(k, name)
        return Bar(name, t(f"dashboard.kpi.{name}"), value, percent(value, language))

    def counted(name: str) -> Bar:
        value = getattr(k, name)
        return Bar(name, t(f"dashboard.kpi.{name}"), float(value), count(value, language))

    categories = {c: label_of(t, f"portal.category.{c}", c) for c in k.bookings_by_category}
    kinds = {kind: label_of(t, f"desk.kind.{kind}", kind) for kind in k.occupancy}
    stages = {s: label_of(t, f"dashboard.stage.{s}", s) for s in k.members_by_stage}
    sites = {
        s: site_names.get(s, t("portal.network") if s == "network" else s)
        for s in (*k.bookings_by_site, *k.revenue_by_site_minor)
    }

    occupancy = [
        Bar(
            kind,
            kinds[kind],
            use.rate,
            percent(use.rate, language),
            t(
                "dashboard.used_of",
                used=number(use.used, language, 1 if use.used % 1 else 0),
                capacity=number(use.capacity, language, 1 if use.capacity % 1 else 0),
                unit=label_of(t, f"dashboard.unit.{use.unit}", use.unit),
            ),
        )
        for kind, use in sorted(k.occupancy.items())
    ]
    charts = [
        counts_chart(
            "bookings_by_category",
            t("dashboard.chart.bookings_by_category"),
            k.bookings_by_category,
            categories,
            language,
        ),
    ]
    if report.site_id is None:
        charts.append(
            counts_chart("bookings_by_site", t("dashboard.chart.bookings_by_site"), k.bookings_by_site, sites, language)
        )
    charts += [
        Chart(
            "outcomes",
            t("dashboard.chart.outcomes"),
            "rate",
            [rate(n) for n in ("confirmation_rate", "rejection_rate", "cancellation_rate", "late_cancellation_rate")]
            + [rate("no_show_rate")],
        ),
        Chart("occupancy", t("dashboard.chart.occupancy"), "rate", occupancy),
        Chart(
            "events",
            t("dashboard.chart.events"),
            "count",
            [counted(n) for n in ("events", "events_completed", "events_cancelled", "event_registrations")]
            + [counted("event_attendees")],
        ),
        Chart(
            "event_rates",
            t("dashboard.chart.event_rates"),
            "rate",
            [rate("event_fill_rate"), rate("event_attendance_rate"), rate("event_waitlist_conversion_rate")],
        ),
        Chart(
            "turnover",
            t("dashboard.chart.turnover"),
            "count",
            [counted("residents"), counted("residencies_started"), counted("residencies_ended")],
            note=t("dashboard.kpi.residency_turnover_rate") + " " + percent(k.residency_turnover_rate, language),
        ),
        counts_chart("members_by_stage", t("dashboard.chart.members_by_stage"), k.members_by_stage, stages, language),
        charges_chart(k, t),
    ]
    if report.site_id is None:
        charts.append(
            amounts_chart("revenue_by_site", t("dashboard.chart.revenue_by_site"), k.revenue_by_site_minor, sites, t)
        )
    figures = [
        Figure(t("dashboard.kpi.bookings"), count(k.bookings, language)),
        Figure(t("dashboard.kpi.no_show_rate"), percent(k.no_show_rate, language)),
        Figure(t("dashboard.kpi.residency_turnover_rate"), percent(k.residency_turnover_rate, language)),
        Figure(t("dashboard.kpi.events"), count(k.events, language)),
        Figure(t("dashboard.kpi.members"), count(k.members, language)),
    ]
    return Dashboard(figures, [replace(c, summary=summary_of(c, t)) for c in charts], billing_figures(k, t, language))
