"""The demo grid read from `seed_data.toml`: the 64 offerings `parkgrid seed` has always made."""

from __future__ import annotations

from catalogue.domain.offering import OfferingDetails
from catalogue.seed_data import DEMO_SITES, demo_offerings


def test_the_demo_is_64_valid_offerings_with_deterministic_ids() -> None:
    offerings = demo_offerings()
    ids = [offering_id for offering_id, _ in offerings]
    assert len(ids) == len(set(ids)) == 64
    assert sum(i.startswith("off-network-") for i in ids) == 8
    assert {b["site_id"] for _, b in offerings} == {*DEMO_SITES, None}
    for _, body in offerings:
        OfferingDetails.model_validate(body)


def test_a_sites_copy_takes_the_sites_city_name_rules_and_holidays() -> None:
    body = dict(demo_offerings())["off-fes-salle-reunion"]
    assert body["title"] == {"fr": "Salle de réunion 8 places — Fès", "en": "Meeting room for 8 — Fès"}
    assert body["description"]["en"].endswith("(Technopark Fès)")
    assert body["provider"] == {"name": "Front desk", "kind": "staff", "organisation": None}
    assert (body["price"], body["credits"]) == ({"amount_minor": 10000, "currency": "MAD"}, 1)
    assert [w["weekday"] for w in body["availability"]] == [1, 2, 3, 4, 5]
    assert [c["reason"] for c in body["closures"]] == ["Aïd al-Adha", "Fête du Trône", "Marche verte"]
    assert body["rules"]["per_member_limit"] == {"count": 4, "period": "month"}
    desk = dict(demo_offerings())["off-rabat-poste-coworking"]
    assert [(w["weekday"], w["opens"]) for w in desk["availability"]] == [
        *((d, "08:30") for d in range(1, 6)),
        *((d, "13:30") for d in range(1, 6)),
    ]


def test_a_network_offering_is_online_for_anyone_in_casablanca_time() -> None:
    body = dict(demo_offerings())["off-network-export-afrique"]
    assert (body["site_id"], body["mode"], body["time_zone"]) == (None, "online", "Africa/Casablanca")
    assert body["title"]["en"] == "Exporting to West Africa"
    assert body["eligibility"] == {"member_kinds": [], "stages": []}
    assert body["provider"]["organisation"] == "Morocco Foodex"
