"""The demo service grid: what each of the eight sites of DESIGN.md offers, and the network.

The offerings themselves are data, one table each in `seed_data.toml` beside this module;
here is only how a table becomes a request body: a site's copy of an offering takes the
site's city in its title, its name in its description, the demo's booking rules and the
year's public holidays as closures. Ids are deterministic (`off-<site>-<slug>`,
`off-network-<slug>`), so seeding twice finds the first run's work.
"""

from __future__ import annotations

import tomllib
from importlib.resources import files
from typing import Any

_GRID: dict[str, Any] = tomllib.loads(files("catalogue").joinpath("seed_data.toml").read_text("utf-8"))

DEMO_SITES: dict[str, tuple[str, str]] = {site: (s["city"], s["name"]) for site, s in _GRID["sites"].items()}
"""Site id → (city, name), as spaces seeds them."""

EID_AL_ADHA_2026 = {"first_day": "2026-05-26", "last_day": "2026-05-28", "reason": "Aïd al-Adha"}
THRONE_DAY = {"first_day": "2026-07-30", "last_day": "2026-07-30", "reason": "Fête du Trône"}
GREEN_MARCH = {"first_day": "2026-11-06", "last_day": "2026-11-06", "reason": "Marche verte"}
SITE_RULES = {
    "min_notice_minutes": 120,
    "max_advance_days": 60,
    "cancellation_window_minutes": 24 * 60,
    "per_member_limit": {"count": 4, "period": "month"},
}


def _availability(windows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`{days, opens, closes}` rows of the table → one weekly window a day, in the table's order."""
    return [{"weekday": d, "opens": w["opens"], "closes": w["closes"]} for w in windows for d in w["days"]]


def _provider(row: dict[str, Any]) -> dict[str, Any]:
    provider = row["provider"]
    return {"name": provider["name"], "kind": provider["kind"], "organisation": provider.get("organisation")}


def site_offering(site_id: str, row: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A site's copy of a `[[site_offering]]` row: (id, request body)."""
    city, site_name = DEMO_SITES[site_id]
    title, text, space = row["title"], row["description"], row["space"]
    body: dict[str, Any] = {
        "site_id": site_id,
        "category": row["category"],
        "title": {"fr": f"{title['fr']} — {city}", "en": f"{title['en']} — {city}"},
        "description": {"fr": f"{text['fr']} ({site_name})", "en": f"{text['en']} ({site_name})"},
        "provider": _provider(row),
        "mode": row["mode"],
        "session_minutes": row["minutes"],
        "seats_per_session": row["seats"],
        "eligibility": row["eligibility"],
        "price": {"amount_minor": row["price"], "currency": "MAD"} if "price" in row else None,
        "credits": row.get("credits"),
        "rules": {**SITE_RULES, "approval": row["approval"]} if "approval" in row else SITE_RULES,
        "availability": _availability(row["windows"]),
        "closures": [EID_AL_ADHA_2026, THRONE_DAY, GREEN_MARCH],
        "space_requirement": None
        if row["mode"] == "online"
        else {"kind": space["kind"], "seats": max(space["seats"], row["seats"]), "features": space["features"]},
    }
    return f"off-{site_id.removeprefix('site-')}-{row['slug']}", body


def network_offering(row: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A `[[network_offering]]` row: an online offering of the whole network, open to anyone."""
    body: dict[str, Any] = {
        "site_id": None,
        "category": row["category"],
        "title": row["title"],
        "description": row["description"],
        "provider": _provider(row),
        "mode": "online",
        "session_minutes": row["minutes"],
        "seats_per_session": row["seats"],
        "eligibility": {"member_kinds": [], "stages": []},
        "price": None,
        "credits": None,
        "time_zone": "Africa/Casablanca",
        "availability": _availability(row["windows"]),
        "closures": [EID_AL_ADHA_2026],
    }
    return f"off-network-{row['slug']}", body


def demo_offerings() -> list[tuple[str, dict[str, Any]]]:
    """Every demo offering as (id, request body): each site's, in `[runs]` order, then the network's."""
    rows = _GRID["site_offering"]
    by_slug = {row["slug"]: row for row in rows}
    offerings = [
        site_offering(site, by_slug[slug])
        for site, slugs in _GRID["runs"].items()
        for slug in ([row["slug"] for row in rows] if slugs == ["*"] else slugs)
    ]
    return offerings + [network_offering(row) for row in _GRID["network_offering"]]
