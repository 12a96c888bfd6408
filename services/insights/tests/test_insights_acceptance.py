"""Acceptance over the real broker and store: the seeded scenario published onto the test's
topics as the other services would, projected by the running service, asked over HTTP.

- the KPIs (several sites, ranges and as-of moments) equal the brute-force pass;
- every event delivered a second time changes no KPI and sends no mail;
- a rebuild from offset 0 equals the live projection (its rate is printed).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from insights_brute_force import assert_same, kpis
from insights_fixtures import Sink, app, auth, client, consumer_named, eventually, publish, settings, smtp_sink
from insights_scenario import Scope, build, kpi_scopes

from insights.adapters.projection import InsightsStore
from insights.service_layer.rebuilt import rebuild_and_compare
from insights.settings import InsightsSettings
from parkgrid.auth import Role

__all__ = ["app", "client", "settings", "smtp_sink"]

SCOPES = kpi_scopes(datetime.now(UTC))


async def ask(client: httpx.AsyncClient, headers: dict[str, str], scopes: list[Scope] = SCOPES) -> list[dict[str, Any]]:
    answers = []
    for first, last, as_of, site in scopes:
        params = {"from": first.isoformat(), "to": last.isoformat(), "as_of": as_of.isoformat()}
        if site:
            params["site_id"] = site
        response = await client.get("/v1/kpis", params=params, headers=headers)
        assert response.status_code == 200, response.text
        answers.append(response.json()["kpis"])
    return answers


async def test_kpis_from_the_topics_twice_delivered_and_rebuilt(
    app: FastAPI,
    client: httpx.AsyncClient,
    settings: InsightsSettings,
    smtp_sink: tuple[Sink, int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    scenario = build()
    count = len(scenario.items)
    store: InsightsStore = app.state.components[InsightsStore]
    projection = consumer_named(app, "projection")
    headers = auth(settings, Role.ADMIN)

    await asyncio.wait_for(publish(settings, scenario.items), 60)

    async def all_projected() -> bool:
        return bool(await store.facts.count_documents({}) == count)

    await eventually(all_projected, within=45, what="the scenario to be projected")
    first_answers = await ask(client, headers)
    for answer, (first, last, as_of, site) in zip(first_answers, SCOPES, strict=True):
        assert_same(answer, kpis(scenario.envelopes, first, last, as_of, site))

    # Every event delivered again (the same envelopes: same ids, same sequences).
    done_before = projection.processed_count
    await asyncio.wait_for(publish(settings, scenario.items), 60)

    async def replayed() -> bool:
        return bool(projection.processed_count >= done_before + count)

    await eventually(replayed, within=45, what="the duplicates to be consumed")
    assert await store.facts.count_documents({}) == count
    assert await ask(client, headers, SCOPES[::3]) == first_answers[::3]
    notifications = consumer_named(app, "notifications")
    assert notifications.dead_lettered_count == projection.dead_lettered_count == 0
    assert smtp_sink[0].messages == []  # September's events are history, not news: no mail

    # Drop and rebuild from offset 0 (the topics now hold every event twice).
    report = await asyncio.wait_for(rebuild_and_compare(settings), 90)
    with capsys.disabled():  # the rate belongs in every run's output, captured or not
        print(
            f"\nrebuild: {report.events} events from offset 0 in {report.seconds:.2f} s = {report.rate:,.0f} events/s"
        )
    assert report.events == 2 * count
    assert report.skipped == 0
    assert report.equal, report.differences
    assert report.rebuilt_fingerprint == report.live_fingerprint == (count, report.live_fingerprint[1])
    assert set(report.live) == {"network", "site-rabat", "site-casa"}
    assert await ask(client, headers, SCOPES[1:2]) == first_answers[1:2]
