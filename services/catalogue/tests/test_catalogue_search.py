"""Discovery against the real store: 5,000 generated offerings, each search compared with a
brute-force filter over the same data (ids in order, every page walked so each result
comes exactly once), the latency per page printed, and the store's plan shown.

On FerretDB (SQLite) the narrowing equalities are evaluated by SQLite when the server
carries deploy/local/ferretdb/scalar-filters.patch (`explain`: `filterPushdown: true`),
from a declared index that one of them leads (use-indexes.patch: a SEARCH using it), and
the page's offerings are read through the `_id` index; on MongoDB the plan uses the
declared indexes (IXSCAN). See the README for the numbers.
"""

from __future__ import annotations

import random
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from catalogue_fixtures import app, auth, client, part, settings
from fastapi import FastAPI

from catalogue.adapters.offerings import Offerings
from catalogue.adapters.search import Search, store_filter
from catalogue.domain import offering as rules
from catalogue.domain.offering import OfferingDetails, SiteFacts
from catalogue.seed_data import DEMO_SITES
from parkgrid.auth import Role
from parkgrid.contracts.catalogue import OfferingCategory, OfferingStatus
from parkgrid.contracts.common import MemberKind, Mode, ProgrammeStage
from parkgrid.settings import KitSettings
from parkgrid.testing.plans import USING_INDEX, skip_a_postgresql_plan

__all__ = ["app", "client", "settings"]

COUNT = 5000
SITES = [*DEMO_SITES, None]
WORDS = ["mentorat", "financement", "clinique", "réseau", "atelier", "Pitch", "café", "Export", "IA", "salle"]
EN_WORDS = ["mentoring", "financing", "clinic", "network", "workshop", "pitch", "coffee", "export", "AI", "room"]


def generated(index: int, rng: random.Random) -> tuple[OfferingDetails, str, datetime]:
    word = rng.randrange(len(WORDS))
    windows = [
        {"weekday": d, "opens": "09:00", "closes": "12:00"} for d in rng.sample(range(1, 8), rng.randrange(0, 3))
    ]
    start = date(2026, 6, 1) + timedelta(days=rng.randrange(0, 40))
    closures = (
        [{"first_day": str(start), "last_day": str(start + timedelta(days=rng.randrange(0, 20))), "reason": "Travaux"}]
        if rng.random() < 0.5
        else []
    )
    details = OfferingDetails.model_validate(
        {
            "site_id": rng.choice(SITES),
            "category": rng.choice(list(OfferingCategory)).value,
            "title": {"fr": f"{WORDS[word]} n°{index}", "en": f"{EN_WORDS[word]} #{index}"},
            "description": {"fr": f"Séance {index} de {WORDS[(word + 3) % 10]}", "en": f"Session {index}"},
            "provider": {"name": f"Expert {index % 37}", "kind": "expert"},
            "mode": rng.choice(list(Mode)).value,
            "session_minutes": 60,
            "seats_per_session": 1 + index % 9,
            "eligibility": {
                "member_kinds": rng.sample([k.value for k in MemberKind], rng.randrange(0, 3)),
                "stages": rng.sample([s.value for s in ProgrammeStage], rng.randrange(0, 3)),
            },
            "availability": windows,
            "closures": closures,
        }
    )
    status = rng.choice(["draft", "published", "published", "withdrawn"])
    return details, status, datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(0, 10**5))


def brute_force(offerings: list[dict[str, Any]], criteria: dict[str, Any], statuses: set[str]) -> list[str]:
    """The expected answer in the expected order, by the definition of each filter, with no store involved."""
    found = []
    for o in offerings:
        d: OfferingDetails = o["details"]
        if o["status"] not in statuses:
            continue
        if "site" in criteria and (d.site_id or "network") != criteria["site"]:
            continue
        if "category" in criteria and d.category.value != criteria["category"]:
            continue
        if "mode" in criteria and d.mode.value != criteria["mode"]:
            continue
        kinds = [k.value for k in d.eligibility.member_kinds]
        if "member_kind" in criteria and kinds and criteria["member_kind"] not in kinds:
            continue
        stages = [s.value for s in d.eligibility.stages]
        if "stage" in criteria and stages and criteria["stage"] not in stages:
            continue
        if "q" in criteria:
            texts = [d.title.fr, d.title.en, d.description.fr, d.description.en, d.provider.name]
            if not any(criteria["q"].lower() in t.lower() for t in texts):
                continue
        if "available_from" in criteria:
            first, last = date.fromisoformat(criteria["available_from"]), date.fromisoformat(criteria["available_to"])
            weekdays = {w.weekday for w in d.availability}
            days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
            if not any(
                day.isoweekday() in weekdays and not any(c.first_day <= day <= c.last_day for c in d.closures)
                for day in days
            ):
                continue
        found.append(o)
    sort = criteria.get("sort", "title")
    by_created = sort.endswith("created")
    found.sort(
        key=lambda o: (o["offering"].created_at if by_created else o["details"].title.en.casefold(), o["id"]),
        reverse=sort.startswith("-"),
    )
    return [o["id"] for o in found]


@pytest.fixture(scope="module")
def generated_rows() -> list[dict[str, Any]]:
    """COUNT offerings, made before the app starts: 5,000 validations would hold the event loop
    for seconds, long enough for the runtime's store watch to time out."""
    rng = random.Random(20261127)
    facts = {s: SiteFacts(s, "Africa/Casablanca") for s in SITES if s}
    rows = []
    for index in range(COUNT):
        details, status, created_at = generated(index, rng)
        drafted, _ = rules.draft(f"o-{index:05d}", details, facts.get(details.site_id or ""), created_at)
        offering = replace(drafted, status=OfferingStatus(status))
        rows.append({"id": offering.offering_id, "details": details, "status": status, "offering": offering})
    return rows


@pytest.fixture
async def loaded(generated_rows: list[dict[str, Any]], app: FastAPI) -> list[dict[str, Any]]:
    """The offerings bulk-loaded with their search entries (no events: this is about reading)."""
    offerings = part(app, Offerings)
    started = time.monotonic()
    await offerings.load([r["offering"] for r in generated_rows])
    print(f"loaded {COUNT} offerings in {time.monotonic() - started:.1f} s")
    return generated_rows


# Each is walked to the end; together they cover every filter, both sort keys and directions.
SEARCHES: list[dict[str, Any]] = [
    {"site": "site-rabat", "sort": "-title"},
    {"site": "network", "mode": "online", "sort": "created"},
    {"category": "mentoring", "member_kind": "startup", "sort": "-created"},
    {"stage": "incubation", "member_kind": "tpe", "site": "site-fes"},
    {"q": "CAFÉ", "mode": "hybrid"},
    {"q": "pitch", "site": "site-tanger"},
    {"available_from": "2026-06-08", "available_to": "2026-06-10", "site": "site-oujda"},
    {"available_from": "2026-06-01", "available_to": "2026-06-30", "category": "training", "stage": "alumni"},
]


async def walk(
    client: httpx.AsyncClient, headers: dict[str, str], params: dict[str, Any], pages: int | None = None
) -> tuple[list[str], list[float]]:
    """The ids of every page (or of the first `pages`), and each page's latency."""
    ids: list[str] = []
    latencies: list[float] = []
    cursor = None
    while pages is None or len(latencies) < pages:
        started = time.monotonic()
        page = await client.get(
            "/v1/offerings", params={**params, **({"cursor": cursor} if cursor else {})}, headers=headers
        )
        latencies.append(time.monotonic() - started)
        assert page.status_code == 200, page.text
        ids += [i["id"] for i in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    return ids, latencies


async def test_searches_over_5000_offerings_match_a_brute_force_filter_and_use_the_store_well(
    generated_rows: list[dict[str, Any]],
    client: httpx.AsyncClient,
    settings: KitSettings,
    loaded: list[dict[str, Any]],
    app: FastAPI,
) -> None:
    member, admin = auth(settings, Role.MEMBER), auth(settings, Role.ADMIN)
    filtered: list[float] = []
    for criteria in SEARCHES:
        ids, latencies = await walk(client, member, {"limit": 100, "sort": "title", **criteria})
        expected = brute_force(loaded, criteria, {"published"})
        assert expected, criteria  # the data must exercise the filter
        assert ids == expected, criteria
        filtered += latencies
        print(f"{criteria}: {len(ids)} in {len(latencies)} pages, {max(latencies):.2f} s the slowest")
    filtered.sort()
    print(f"filtered pages: median {filtered[len(filtered) // 2]:.2f} s, slowest {filtered[-1]:.2f} s")

    # the broadest search (every published offering is a candidate): its first page
    ids, latencies = await walk(client, member, {"limit": 100}, pages=1)
    assert ids == brute_force(loaded, {}, {"published"})[:100]
    print(f"unfiltered first page in {latencies[0]:.2f} s")
    drafts, _ = await walk(client, admin, {"limit": 100, "status": "draft", "category": "financing"})
    assert drafts == brute_force(loaded, {"category": "financing"}, {"draft"})

    # the limit is capped, and a cursor only continues the search it came from
    assert (await client.get("/v1/offerings", params={"limit": 101}, headers=member)).status_code == 422
    page = await client.get("/v1/offerings", params={"limit": 100, "site": "site-fes"}, headers=member)
    assert len(page.json()["items"]) == 100
    bad = await client.get("/v1/offerings", params={"cursor": "not-a-cursor"}, headers=member)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "cursor"
    mixed = await client.get(
        "/v1/offerings", params={"cursor": page.json()["next_cursor"], "sort": "created"}, headers=member
    )
    assert mixed.status_code == 422

    # `explain` of the two queries of a page: choosing the entries, then reading the offerings
    offerings = part(app, Offerings)
    entries = offerings.search.find(store_filter(Search(site="site-rabat", category="mentoring", text="clinique")))
    choose = await entries.sort([("title_sort", 1), ("_id", 1)]).limit(21).explain()
    read = await offerings.collection.find({"_id": {"$in": ["o-00001", "o-00002"]}}).explain()
    print("plan choosing a page:", choose.get("queryPlanner"), "filterPushdown:", choose.get("filterPushdown"))
    print("plan reading its offerings:", read.get("queryPlanner"), "filterPushdown:", read.get("filterPushdown"))
    if "winningPlan" in choose["queryPlanner"]:  # MongoDB: the declared indexes
        assert "IXSCAN" in str(choose["queryPlanner"]["winningPlan"])
        assert "IDHACK" in str(read["queryPlanner"]) or "IXSCAN" in str(read["queryPlanner"])
    else:
        skip_a_postgresql_plan(choose["queryPlanner"])
        # FerretDB (SQLite): SQLite selects the candidates from the index the status equality
        # leads (use-indexes.patch) and reads the page through the _id index.
        assert choose["filterPushdown"] is True, "FerretDB lacks scalar-filters.patch: restart deploy/local/infra.sh"
        assert USING_INDEX.search(str(choose["queryPlanner"])), "FerretDB lacks use-indexes.patch: make install"
        assert "_status_created" in str(choose["queryPlanner"])
        assert USING_INDEX.search(str(read["queryPlanner"]))
        assert "__id_" in str(read["queryPlanner"])
