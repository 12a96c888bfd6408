"""The KPI API: who may ask (staff and services; front desks for their own sites; members never),
the JSON, CSV and SVG forms agreeing with each other, and problem+json for bad ranges (one app
for all of it: starting the service is most of a test's time)."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from insights_fixtures import app, auth, client, settings, smtp_sink
from insights_scenario import build

from insights.adapters.projection import InsightsStore
from insights.settings import InsightsSettings
from parkgrid.auth import Role

__all__ = ["app", "client", "settings", "smtp_sink"]

SEPTEMBER = {"from": "2026-09-01", "to": "2026-09-30"}


@pytest.fixture
async def september(app: FastAPI) -> None:
    """The scenario's September recorded in the app's store, as if its consumers had read it."""
    store: InsightsStore = app.state.components[InsightsStore]
    await store.record_many(build().envelopes)


@pytest.mark.usefixtures("september")
async def test_kpis_as_json_csv_and_svg_for_staff_only_and_bad_ranges_refused(
    client: httpx.AsyncClient, settings: InsightsSettings
) -> None:
    admin = auth(settings, Role.ADMIN)

    assert (await client.get("/v1/kpis", params=SEPTEMBER)).status_code == 401
    member = await client.get("/v1/kpis", params=SEPTEMBER, headers=auth(settings, Role.MEMBER))
    assert member.status_code == 403
    assert member.headers["content-type"].startswith("application/problem+json")
    desk = auth(settings, Role.FRONT_DESK, sites=["site-rabat"])
    other_site = {**SEPTEMBER, "site_id": "site-casa"}
    assert (await client.get("/v1/kpis.csv", params=other_site, headers=desk)).status_code == 403
    own = await client.get("/v1/kpis", params={**SEPTEMBER, "site_id": "site-rabat"}, headers=desk)
    assert own.status_code == 200
    assert set(own.json()["kpis"]["bookings_by_site"]) == {"site-rabat"}
    service = await client.get("/v1/kpis", params=SEPTEMBER, headers=auth(settings, Role.SERVICE))
    assert service.status_code == 200

    body = (await client.get("/v1/kpis", params=SEPTEMBER, headers=admin)).json()
    assert (body["from"], body["to"], body["site_id"]) == ("2026-09-01", "2026-09-30", None)
    kpis = body["kpis"]
    assert kpis["bookings"] == sum(kpis["bookings_by_category"].values()) > 0
    assert {d["name"] for d in body["definitions"]} == set(kpis)

    exported = await client.get("/v1/kpis.csv", params=SEPTEMBER, headers=admin)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(exported.text)))
    by_key = {(row["kpi"], row["dimension"]): row["value"] for row in table}
    assert int(by_key[("bookings", "")]) == kpis["bookings"]
    for category, count in kpis["bookings_by_category"].items():
        assert int(by_key[("bookings_by_category", category)]) == count
    assert float(by_key[("occupancy", "private_office.rate")]) == round(kpis["occupancy"]["private_office"]["rate"], 6)
    # amounts stay integers of centimes in the CSV, as in the JSON (never a float's rounding)
    assert int(by_key[("revenue_net_minor", "")]) == kpis["revenue_net_minor"] > 0
    assert int(by_key[("receivables_overdue_minor", "")]) == kpis["receivables_overdue_minor"] > 0
    for cause, amount in kpis["charges_by_cause_minor"].items():
        assert int(by_key[("charges_by_cause_minor", cause)]) == amount
    assert set(kpis["charges_by_cause_minor"]) >= {"booking", "day_pass", "residency"}
    assert {row["site_id"] for row in table} == {"network"}

    chart = await client.get("/v1/kpis/bookings_by_category.svg", params=SEPTEMBER, headers=admin)
    assert chart.status_code == 200
    assert chart.headers["content-type"].startswith("image/svg+xml")
    assert chart.text.startswith("<svg")
    assert "Bookings per category" in chart.text
    for category in kpis["bookings_by_category"]:
        assert f">{category}<" in chart.text
    rate = await client.get("/v1/kpis/no_show_rate.svg", params=SEPTEMBER, headers=admin)
    assert f"{kpis['no_show_rate'] * 100:.1f} %" in rate.text
    assert (await client.get("/v1/kpis/nonsense.svg", params=SEPTEMBER, headers=admin)).status_code == 404
    assert (await client.get("/v1/kpis/no_show_rate.svg", params=other_site, headers=desk)).status_code == 403

    earlier = await client.get("/v1/kpis", params={**SEPTEMBER, "as_of": "2026-09-12"}, headers=admin)
    assert earlier.json()["as_of"] == "2026-09-12T23:59:59.999999+00:00"
    assert earlier.json()["kpis"]["bookings"] < kpis["bookings"]

    # Bad ranges are 422 problems naming the field.
    cases = [
        ({"from": "2026-09-30", "to": "2026-09-01"}, "from"),
        ({"from": "2000-01-01", "to": "2026-09-01"}, "to"),
        ({"as_of": "last tuesday"}, "as_of"),
        ({"from": "not-a-date"}, "from"),
    ]
    for params, field in cases:
        response = await client.get("/v1/kpis", params=params, headers=admin)
        assert response.status_code == 422, params
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in response.text
    assert (await client.get("/v1/kpis", headers=admin)).status_code == 200  # the last 30 days by default


EDGE_DAYS = ["9999-12-31", "0001-01-01", "1999-12-31", "2200-01-01"]
EDGE_INSTANTS = ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00", "9999-12-31T23:59:59"]
ROUTES = ["/v1/kpis", "/v1/kpis.csv", "/v1/kpis/bookings.svg"]


@pytest.mark.usefixtures("september")
async def test_a_front_desk_sees_the_kpis_of_its_own_sites_only(
    client: httpx.AsyncClient, settings: InsightsSettings
) -> None:
    admin = auth(settings, Role.ADMIN)
    rabat_desk = auth(settings, Role.FRONT_DESK, sites=["site-rabat"])
    both_desk = auth(settings, Role.FRONT_DESK, sites=["site-rabat", "site-casa"])

    async def kpis(headers: dict[str, str], **params: str) -> dict[str, Any]:
        response = await client.get("/v1/kpis", params={**SEPTEMBER, **params}, headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    for route in ROUTES:  # another site, named: forbidden, in every form
        refused = await client.get(route, params={**SEPTEMBER, "site_id": "site-casa"}, headers=rabat_desk)
        assert refused.status_code == 403, (route, refused.text)
        assert refused.json()["errors"][0]["field"] == "site_id"
    # no site named: the desk's own sites, not the network
    rabat, casa, network = (
        await kpis(admin, site_id="site-rabat"),
        await kpis(admin, site_id="site-casa"),
        await kpis(admin),
    )
    own = await kpis(rabat_desk)
    assert (own["site_id"], own["sites"]) == (None, ["site-rabat"])
    assert own["kpis"] == rabat["kpis"]
    assert network["kpis"]["bookings"] > rabat["kpis"]["bookings"] > 0
    together = await kpis(both_desk)
    assert together["sites"] == ["site-casa", "site-rabat"]
    assert together["kpis"]["bookings"] == rabat["kpis"]["bookings"] + casa["kpis"]["bookings"]
    for money in ("revenue_net_minor", "receivables_minor", "charges_minor"):
        assert together["kpis"][money] == rabat["kpis"][money] + casa["kpis"][money], money
    assert set(together["kpis"]["bookings_by_site"]) <= {"site-rabat", "site-casa"}
    assert together["kpis"]["bookings"] < network["kpis"]["bookings"]
    exported = await client.get("/v1/kpis.csv", params=SEPTEMBER, headers=rabat_desk)
    assert {row["site_id"] for row in csv.DictReader(io.StringIO(exported.text))} == {"site-rabat"}
    chart = await client.get("/v1/kpis/bookings.svg", params=SEPTEMBER, headers=both_desk)
    assert chart.status_code == 200
    assert "site-casa+site-rabat" in chart.text
    assert (await kpis(auth(settings, Role.SERVICE)))["sites"] is None


async def test_dates_at_the_edges_of_the_calendar_are_422_never_5xx(
    client: httpx.AsyncClient, settings: InsightsSettings
) -> None:
    admin = auth(settings, Role.ADMIN)
    cases: list[tuple[dict[str, str], str]] = [
        *[({"from": day, "to": "2026-09-30"}, "from") for day in EDGE_DAYS],
        *[({"from": "2026-09-01", "to": day}, "to") for day in EDGE_DAYS],
        *[({"to": day}, "to") for day in EDGE_DAYS],
        *[({"from": moment}, "from") for moment in EDGE_INSTANTS],
        *[({**SEPTEMBER, "as_of": value}, "as_of") for value in EDGE_DAYS + EDGE_INSTANTS],
        ({**SEPTEMBER, "site_id": "site\u0000rabat"}, "site_id"),
    ]
    for route in ROUTES:
        for params, field in cases:
            response = await client.get(route, params=params, headers=admin)
            assert response.status_code == 422, (route, params, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            fields = [e["field"] for e in response.json()["errors"]]
            assert field in fields or f"query.{field}" in fields, (params, fields)
    # the calendar's own edges are answered
    for params in ({"from": "2000-01-01", "to": "2000-01-31"}, {"from": "2199-12-01", "to": "2199-12-31"}):
        answered = await client.get("/v1/kpis", params={**params, "as_of": params["to"]}, headers=admin)
        assert answered.status_code == 200, answered.text
    assert (await client.get("/v1/kpis", params={"to": "2000-01-01"}, headers=admin)).status_code == 200
