"""The money KPIs over the real broker and store: billing's events (built from the contract samples,
`insights_billing`) published on the test's billing topics as billing would, projected by the
running service, read through `GET /v1/kpis` (JSON, CSV, SVG) as of several moments; an invoice
and a payment delivered a second time are counted once."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

import httpx
from fastapi import FastAPI
from insights_billing import CASA, RABAT, Books, november
from insights_fixtures import app, auth, client, consumer_named, eventually, publish, settings, smtp_sink
from insights_scenario import Scenario

from insights.adapters.projection import InsightsStore
from insights.domain.kpis_billing import BILLING_TOPICS
from insights.settings import InsightsSettings
from parkgrid.auth import Role

__all__ = ["app", "client", "settings", "smtp_sink"]

NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}
MONEY = (
    "revenue_net_minor",
    "revenue_gross_minor",
    "revenue_by_site_minor",
    "receivables_minor",
    "receivables_overdue_minor",
    "invoices_overdue",
    "charges_minor",
    "charges_by_cause_minor",
)


def owed(found: dict[str, Any]) -> tuple[int, int, int]:
    """(receivables, their overdue part, overdue invoices)."""
    return found["receivables_minor"], found["receivables_overdue_minor"], found["invoices_overdue"]


async def test_money_kpis_from_billing_events_and_a_redelivery_counted_once(
    app: FastAPI, client: httpx.AsyncClient, settings: InsightsSettings
) -> None:
    scenario = Scenario()
    november(Books(scenario.add))
    store: InsightsStore = app.state.components[InsightsStore]
    projection = consumer_named(app, "projection")
    assert {settings.topic_prefix + t for t in BILLING_TOPICS} <= set(projection.topics)
    assert not [t for t in consumer_named(app, "webhooks").topics if ".billing." in f".{t}"]
    admin = auth(settings, Role.ADMIN)

    async def money(as_of: str, site_id: str | None = None, **period: str) -> dict[str, Any]:
        params = {**NOVEMBER, **period, "as_of": as_of, **({"site_id": site_id} if site_id else {})}
        response = await client.get("/v1/kpis", params=params, headers=admin)
        assert response.status_code == 200, response.text
        body = response.json()
        assert {d["name"] for d in body["definitions"]} >= set(MONEY)
        return {name: body["kpis"][name] for name in MONEY}

    await asyncio.wait_for(publish(settings, scenario.items), 60)

    async def all_projected() -> bool:
        return bool(await store.facts.count_documents({}) == len(scenario.items))

    await eventually(all_projected, within=45, what="billing's events to be projected")

    # Rabat as the month went: issued, part paid, late, credited, settled.
    late = await money("2026-11-18", RABAT)
    assert late == {
        "revenue_net_minor": 325000, "revenue_gross_minor": 390000, "revenue_by_site_minor": {RABAT: 325000},
        "receivables_minor": 190000, "receivables_overdue_minor": 190000, "invoices_overdue": 1,
        "charges_minor": 334000, "charges_by_cause_minor": {"booking": 25000, "day_pass": 9000, "residency": 300000},
    }  # fmt: skip
    before_void = await money("2026-11-13", RABAT)
    assert (before_void["charges_minor"], before_void["receivables_overdue_minor"]) == (359000, 0)
    credited = await money("2026-11-24", RABAT)
    assert owed(credited) == (160000, 160000, 1)
    settled = await money("2026-11-30", RABAT)
    assert (settled["revenue_net_minor"], settled["revenue_gross_minor"]) == (300000, 360000)
    assert owed(settled) == (0, 0, 0)
    # The network, and Casablanca once its invoice is due (the payment on account pays no invoice).
    network = await money("2026-11-30")
    assert network["revenue_by_site_minor"] == {CASA: 100000, RABAT: 300000}
    assert (network["revenue_net_minor"], network["receivables_minor"], network["charges_minor"]) == (
        400000,
        70000,
        343000,
    )
    casa = await money("2026-12-03", CASA)
    assert owed(casa) == (70000, 120000, 1)
    assert (await money("2026-12-03", CASA, **{"from": "2026-12-01", "to": "2026-12-31"}))["revenue_net_minor"] == 0

    # The same in the CSV export and the charts; a front desk sees its own site's money only.
    exported = await client.get("/v1/kpis.csv", params={**NOVEMBER, "as_of": "2026-11-30"}, headers=admin)
    assert exported.status_code == 200
    table = {(r["kpi"], r["dimension"]): r["value"] for r in csv.DictReader(io.StringIO(exported.text))}
    assert table[("revenue_net_minor", "")] == "400000"
    assert table[("revenue_gross_minor", "")] == "480000"
    assert table[("revenue_by_site_minor", RABAT)] == "300000"
    assert table[("receivables_minor", "")] == "70000"
    assert table[("charges_by_cause_minor", "residency")] == "300000"
    chart = await client.get(
        "/v1/kpis/charges_by_cause_minor.svg", params={**NOVEMBER, "as_of": "2026-11-30"}, headers=admin
    )
    assert chart.status_code == 200
    assert "3,000.00 MAD" in chart.text
    desk = auth(settings, Role.FRONT_DESK, sites=[RABAT])
    refused = await client.get("/v1/kpis", params={**NOVEMBER, "site_id": CASA}, headers=desk)
    assert refused.status_code == 403
    own = await client.get("/v1/kpis", params={**NOVEMBER, "as_of": "2026-11-18"}, headers=desk)
    assert {name: own.json()["kpis"][name] for name in MONEY} == late

    # October's invoice and its first payment delivered again (the same envelopes): counted once.
    again = [item for item in scenario.items if item[1].subject in ("inv-rabat-qalam-2026-10", "pay-q-1")]
    again = [item for item in again if not item[1].type.endswith(".settled")]
    assert len(again) == 2
    done_before = projection.processed_count
    await asyncio.wait_for(publish(settings, again), 60)

    async def redelivered() -> bool:
        return bool(projection.processed_count >= done_before + len(again))

    await eventually(redelivered, within=45, what="the redelivered invoice and payment to be consumed")
    assert await store.facts.count_documents({}) == len(scenario.items)
    assert await money("2026-11-18", RABAT) == late
    assert await money("2026-11-30") == network
    assert projection.dead_lettered_count == 0
