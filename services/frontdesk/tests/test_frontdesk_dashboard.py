"""The KPI dashboard (issue 24, item 4): its presentation rules without infrastructure, its pages
over HTTP against the real insights of the stack (and the degraded web app that cannot reach it),
and a front desk using it in a real browser (Debian's Chromium) with an axe-core check.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from frontdesk_support import MENTORING, SCREENSHOTS, SITE, ZONE, Stack, axe_violations, eventually
from playwright.async_api import Browser, expect

from frontdesk.domain.dashboard import (
    DASH,
    LABEL_WIDTH,
    NARROW_SPACE,
    PAD,
    VALUE_ROOM,
    WIDTH,
    dashboard_of,
    number,
    percent,
    period_of,
)
from frontdesk.domain.messages import translator
from frontdesk.entrypoints.http.pages import templates
from frontdesk.entrypoints.http.panels import Panel
from parkgrid.api.insights import KpiReport

pytest_plugins = ["frontdesk_fixtures"]

TRACK = WIDTH - LABEL_WIDTH - VALUE_ROOM - 2 * PAD


def report(site_id: str | None = SITE, **kpis: Any) -> KpiReport:
    """A KPI report as insights writes it (every KPI zero or empty unless given)."""
    zero: dict[str, Any] = {
        "bookings": 0,
        "bookings_by_category": {},
        "bookings_by_site": {},
        "confirmation_rate": None,
        "rejection_rate": None,
        "cancellation_rate": None,
        "late_cancellation_rate": None,
        "no_show_rate": None,
        "time_to_confirmation": {"count": 0},
        "waitlist_joined": 0,
        "waitlist_promoted": 0,
        "waitlist_conversion_rate": None,
        "events": 0,
        "events_completed": 0,
        "events_cancelled": 0,
        "event_registrations": 0,
        "event_fill_rate": None,
        "event_attendance_rate": None,
        "event_attendees": 0,
        "event_waitlist_conversion_rate": None,
        "occupancy": {},
        "residents": 0,
        "residencies_started": 0,
        "residencies_ended": 0,
        "residency_turnover_rate": None,
        "members": 0,
        "members_by_stage": {},
    }
    return KpiReport.model_validate(
        {
            "site_id": site_id,
            "from": "2026-11-05",
            "to": "2026-12-04",
            "as_of": "2026-12-04T23:59:59+00:00",
            "kpis": zero | kpis,
            "definitions": [],
        }
    )


SAMPLE = {
    "bookings": 1234,
    "bookings_by_category": {"meeting_room": 4, "mentoring": 9, "quantum_lab": 1},
    "bookings_by_site": {"site-a": 7, "network": 2},
    "confirmation_rate": 0.8,
    "no_show_rate": 0.125,
    "occupancy": {"meeting_room": {"unit": "hours", "capacity": 40, "used": 10.5, "rate": 0.2625}},
    "residency_turnover_rate": 0.5,
    "members_by_stage": {"incubation": 3},
}


# -- presentation rules --------------------------------------------------------------------------


def test_numbers_and_rates_are_written_as_each_language_writes_them() -> None:
    assert number(1234.5, "en", 1) == "1,234.5"
    assert number(1234.5, "fr", 1) == f"1{NARROW_SPACE}234,5"
    assert number(1234.5, "ar", 1) == "1.234,5"  # Western digits, as Moroccan Arabic writing does
    assert percent(0.125, "en") == "12.5%"
    assert percent(0.125, "fr") == f"12,5{NARROW_SPACE}%"
    assert percent(0.5, "ar") == f"50{NARROW_SPACE}%"
    assert percent(None, "fr") == DASH  # nothing to divide: a dash, never 0 %


def test_the_period_is_the_thirty_days_ending_on_the_as_of_date() -> None:
    assert period_of(date(2026, 12, 4)) == (date(2026, 11, 5), date(2026, 12, 4))


def test_a_site_report_becomes_figures_and_charts_in_the_readers_language() -> None:
    board = dashboard_of(report(**SAMPLE), translator("fr"), "fr", {"site-a": "Technopark"})
    names = [c.name for c in board.charts]
    # one site: no chart of bookings by site
    assert names == [
        "bookings_by_category",
        "outcomes",
        "occupancy",
        "events",
        "event_rates",
        "turnover",
        "members_by_stage",
    ]
    categories = board.charts[0]
    # a category the catalogue of words does not know yet keeps its raw name
    assert [(b.label, b.shown) for b in categories.bars] == [
        ("Mentorat", "9"),
        ("Salle de réunion", "4"),
        ("quantum_lab", "1"),
    ]
    assert categories.summary == "Réservations par catégorie : Mentorat 9, Salle de réunion 4, quantum_lab 1."
    outcomes = {b.key: b.shown for b in board.charts[1].bars}
    assert outcomes["no_show_rate"] == f"12,5{NARROW_SPACE}%"
    assert outcomes["rejection_rate"] == DASH
    occupancy = board.charts[2].bars[0]
    assert occupancy.label == "salle de réunion"
    assert occupancy.detail == "10,5 sur 40 heures"
    assert [(f.label, f.shown) for f in board.figures][:2] == [
        ("Réservations", f"1{NARROW_SPACE}234"),
        ("Taux d'absence", f"12,5{NARROW_SPACE}%"),
    ]


def test_the_network_report_has_bookings_by_site_named() -> None:
    board = dashboard_of(report(site_id=None, **SAMPLE), translator("en"), "en", {"site-a": "Technopark"})
    by_site = next(c for c in board.charts if c.name == "bookings_by_site")
    assert [(b.label, b.shown) for b in by_site.bars] == [("Technopark", "7"), ("Whole network", "2")]


def test_bars_scale_to_the_largest_count_or_to_100_percent_and_mirror_in_arabic() -> None:
    board = dashboard_of(report(**SAMPLE), translator("en"), "en", {})
    counts, rates = board.charts[0], board.charts[1]
    widths = [s.bar_width for s in counts.shapes("en")]
    assert widths[0] == max(widths)
    assert widths[1] == pytest.approx(widths[0] * 4 / 9, abs=0.1)
    full = rates.shapes("en")
    assert full[0].bar_width == round(TRACK * 0.8, 1)  # confirmation 80 %: four fifths of the track
    assert all(s.bar_width == 0 for s in full if s.bar.value is None)
    left, right = counts.shapes("en")[0], counts.shapes("ar")[0]
    assert left.bar_x < left.value_x
    assert left.label_x < left.bar_x
    assert right.value_x < right.bar_x
    assert right.bar_x + right.bar_width < right.label_x


def test_arabic_page_is_right_to_left_with_its_charts_and_tables() -> None:
    t = translator("ar")
    board = dashboard_of(report(**SAMPLE), t, "ar", {})
    html = templates.get_template("dashboard.html").render(
        request=SimpleNamespace(url=SimpleNamespace(path="/staff/dashboard")),
        visitor=None,
        lang="ar",
        t=t,
        notice=None,
        errors=None,
        input_error=None,
        form={},
        site_id=SITE,
        scope="Technopark",
        report=Panel(data=report(**SAMPLE)),
        board=Panel(data=board),
        as_of=date(2026, 12, 4),
        period="…",
        as_of_label="…",
        csv_url="/staff/sites/site-fd/dashboard.csv?as_of=2026-12-04",
        choices=[(SITE, "Technopark")],
        network=False,
        chart_width=640,
    )
    assert 'dir="rtl"' in html
    assert 'direction="rtl"' in html
    assert "الحجوزات حسب الفئة" in html
    assert "نسبة الغياب" in html
    assert html.count('<svg role="img"') == html.count('<table class="kpi-table">') == len(board.charts)


def test_insights_down_costs_the_charts_only() -> None:
    html = templates.get_template("dashboard.html").render(
        request=SimpleNamespace(url=SimpleNamespace(path="/staff/dashboard")),
        visitor=None,
        lang="en",
        t=translator("en"),
        notice=None,
        errors=None,
        input_error=None,
        form={},
        scope="Network",
        report=Panel(unavailable="insights"),
        board=Panel(unavailable="insights"),
        as_of=date(2026, 12, 4),
        period="…",
        as_of_label="…",
        csv_url="/staff/dashboard.csv?as_of=2026-12-04",
        choices=[],
        network=True,
        chart_width=640,
    )
    assert "insights is unavailable right now" in html
    assert "<svg" not in html
    assert 'name="as_of"' in html


# -- the pages over HTTP, against the stack's real insights --------------------------------------

pages = pytest.mark.asyncio(loop_scope="session")


@pages
async def test_the_desk_sees_its_sites_dashboard_and_not_anothers(stack: Stack) -> None:
    async with stack.browser(stack.staff) as desk:
        mine = await desk.get(f"/staff/sites/{SITE}/dashboard")
        assert mine.status_code == 200
        assert 'id="kpi-bookings_by_category"' in mine.text
        assert (await desk.get("/staff/sites/site-elsewhere/dashboard")).status_code == 403
        together = await desk.get("/staff/dashboard")  # a desk's own sites together
        assert together.status_code == 200
        assert "Technopark Test" in together.text
        typed = await desk.get(f"/staff/sites/{SITE}/dashboard", params={"as_of": "9999-12-31"})
        assert typed.status_code == 422
        assert 'id="input-error"' in typed.text
    async with stack.browser(stack.member) as member:
        assert (await member.get("/staff/dashboard")).status_code == 403
    async with stack.browser(stack.admin) as admin:
        network = await admin.get("/staff/dashboard")
        assert network.status_code == 200
        assert 'id="kpi-bookings_by_site"' in network.text


@pages
async def test_the_csv_comes_through_the_web_app_with_the_visitors_token(stack: Stack) -> None:
    async with stack.browser(stack.staff) as desk:
        answer = await desk.get(f"/staff/sites/{SITE}/dashboard.csv", params={"as_of": "2026-12-01"})
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/csv")
        assert "attachment" in answer.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(answer.text)))
        assert rows
        assert {r["site_id"] for r in rows} == {SITE}
        assert rows[0]["to"] == "2026-12-01"
        refused = await desk.get("/staff/sites/site-elsewhere/dashboard.csv")
        assert refused.status_code == 403


@pages
async def test_with_insights_down_the_dashboard_says_so_and_the_csv_goes_back(stack: Stack) -> None:
    async with stack.browser(stack.staff, degraded=True) as desk:
        shown = await desk.get(f"/staff/sites/{SITE}/dashboard")
        assert shown.status_code == 200
        assert "insights est indisponible" in shown.text  # French: no language asked
        relayed = await desk.get(f"/staff/sites/{SITE}/dashboard.csv", params={"as_of": "2026-12-01"})
        assert relayed.status_code == 303
        assert relayed.headers["location"].startswith(f"/staff/sites/{SITE}/dashboard?as_of=2026-12-01&notice=")


# -- a front desk in a real browser ------------------------------------------------------------


async def kpis_of(stack: Stack, as_of: date) -> dict[str, Any]:
    first, last = period_of(as_of)
    params = {"site_id": SITE, "from": first.isoformat(), "to": last.isoformat(), "as_of": as_of.isoformat()}
    async with httpx.AsyncClient(base_url=stack.insights, timeout=10) as http:
        answer = await http.get("/v1/kpis", params=params, headers={"Authorization": f"Bearer {stack.staff}"})
        assert answer.status_code == 200, answer.text
        kpis: dict[str, Any] = answer.json()["kpis"]
        return kpis


@pytest.mark.asyncio(loop_scope="session")
async def test_a_front_desk_reads_the_kpis_changes_the_date_and_downloads_the_csv(
    browser: Browser, stack: Stack
) -> None:
    # something to count: the member books the first mentoring slot (confirmed at once)
    member = await browser.new_context(locale="en-GB")
    await member.add_cookies([{"name": "parkgrid_token", "value": stack.member, "url": stack.frontdesk}])
    booking = await member.new_page()
    await booking.goto(f"{stack.frontdesk}/member/offerings/{stack.offerings[MENTORING]}")
    first_slot = booking.locator("input[name=starts_at]").first
    starts_at = datetime.fromisoformat(str(await first_slot.get_attribute("value")))
    await first_slot.check()
    await booking.get_by_role("button", name="Book", exact=True).click()
    await expect(booking.locator("#booking-status")).to_contain_text("confirmed", timeout=30_000)
    await member.close()
    # the session's day (today, or tomorrow late in the day) is the dashboard's "as of"
    day = starts_at.astimezone(ZoneInfo(ZONE)).date()

    async def counted() -> bool:
        return (await kpis_of(stack, day))["bookings_by_category"].get("mentoring", 0) >= 1

    await eventually(counted, "insights to count the booking")
    expected = await kpis_of(stack, day)

    desk = await browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    await desk.add_cookies([{"name": "parkgrid_token", "value": stack.staff, "url": stack.frontdesk}])
    page = await desk.new_page()
    await page.goto(f"{stack.frontdesk}/staff/sites/{SITE}/today")
    await page.get_by_role("link", name="Dashboard").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Dashboard · Technopark Test")
    if day != datetime.now(ZoneInfo(ZONE)).date():
        await page.get_by_label("As of").fill(day.isoformat())
        await page.get_by_role("button", name="Show").click()
    figure = page.locator(".figures > div").filter(has_text="Bookings").locator("dd")
    await expect(figure).to_have_text(f"{expected['bookings']:,}")
    table = page.locator("#kpi-bookings_by_category table")
    mentoring_row = table.get_by_role("row").filter(has_text="Mentoring")
    await expect(mentoring_row).to_contain_text(str(expected["bookings_by_category"]["mentoring"]))
    await expect(page.get_by_role("img", name="Bookings by category")).to_be_visible()
    await page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)
    assert await axe_violations(page) == []

    # the CSV through the web app: the same numbers
    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="Download as CSV").click()
    download = await downloading.value
    text = (await download.path()).read_bytes().decode("utf-8")
    rows = {(r["kpi"], r["dimension"]): r["value"] for r in csv.DictReader(io.StringIO(text))}
    assert rows[("bookings", "")] == str(expected["bookings"])
    assert rows[("bookings_by_category", "mentoring")] == str(expected["bookings_by_category"]["mentoring"])

    # as of the day before the stack existed: nothing had happened yet
    before = datetime.now(ZoneInfo(ZONE)).date() - timedelta(days=2)
    await page.get_by_label("As of").fill(before.isoformat())
    await page.get_by_role("button", name="Show").click()
    await expect(page).to_have_url(f"{stack.frontdesk}/staff/sites/{SITE}/dashboard?as_of={before.isoformat()}")
    await expect(figure).to_have_text("0")
    await expect(page.locator("#dashboard-period")).to_contain_text(before.strftime("%d/%m/%Y"))

    # in Arabic: right to left, labels translated, still no violation
    await page.get_by_label("Language").select_option("ar")
    await page.locator("form[action='/language'] button").click()
    await expect(page.locator("html")).to_have_attribute("dir", "rtl")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("لوحة القيادة")
    await page.screenshot(path=str(SCREENSHOTS / "dashboard-ar.png"), full_page=True)
    assert await axe_violations(page) == []
    await desk.close()


def test_every_dashboard_message_is_in_french_english_and_arabic() -> None:
    from frontdesk.domain.messages import MESSAGES

    ours = {k: v for k, v in MESSAGES.items() if k.startswith("dashboard.") or k == "nav.dashboard"}
    assert ours
    assert all(set(v) >= {"fr", "en", "ar"} for v in ours.values())
