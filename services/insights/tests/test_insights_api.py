"""The KPI API: who may ask (staff and services; front desks for their own sites; members never),
the JSON, CSV and SVG forms agreeing with each other, and problem+json for bad ranges (one app
for all of it: starting the service is most of a test's time)."""

from __future__ import annotations

import csv
import io

import httpx
from fastapi import FastAPI
from insights_fixtures import app, auth, client, settings, smtp_sink
from insights_scenario import build

from insights.adapters.projection import InsightsStore
from insights.settings import InsightsSettings
from parkgrid.auth import Role

__all__ = ["app", "client", "settings", "smtp_sink"]

SEPTEMBER = {"from": "2026-09-01", "to": "2026-09-30"}


async def test_kpis_as_json_csv_and_svg_for_staff_only_and_bad_ranges_refused(
    app: FastAPI, client: httpx.AsyncClient, settings: InsightsSettings
) -> None:
    store: InsightsStore = app.state.components[InsightsStore]
    await store.record_many(build().envelopes)
    admin = auth(settings, Role.ADMIN)

    assert (await client.get("/v1/kpis", params=SEPTEMBER)).status_code == 401
    member = await client.get("/v1/kpis", params=SEPTEMBER, headers=auth(settings, Role.MEMBER))
    assert member.status_code == 403
    assert member.headers["content-type"].startswith("application/problem+json")
    desk = auth(settings, Role.FRONT_DESK, sites=["site-rabat"])
    assert (await client.get("/v1/kpis", params=SEPTEMBER, headers=desk)).status_code == 403
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
    assert (await client.get("/v1/kpis/no_show_rate.svg", params=SEPTEMBER, headers=desk)).status_code == 403

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
