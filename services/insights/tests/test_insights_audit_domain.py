"""The audit trail's rules, pure: what a change lists, how a value is shown, which kinds exist."""

from __future__ import annotations

import typing

from insights.domain.audit import KINDS, SHOWN, Change, changes, kind_of, shown
from insights.entrypoints.http.audit import Kind


def test_a_change_lists_the_fields_that_differ_from_the_event_before_and_a_creation_none() -> None:
    before = {"name": "Technopark Rabat", "city": "Rabat", "closures": [], "no_show_release_minutes": 15}
    after = {"name": "Technopark Rabat-Salé", "city": "Rabat", "closures": [], "buffers": {"meeting_room": 10}}
    assert changes(before, after) == [
        Change("buffers", None, "{meeting_room: 10}"),
        Change("name", "Technopark Rabat", "Technopark Rabat-Salé"),
        Change("no_show_release_minutes", "15", None),
    ]
    assert changes(None, after) == []


def test_values_are_shown_compact_and_cut_when_long() -> None:
    assert shown({"amount_minor": 20000, "currency": "MAD"}) == "{amount_minor: 20000, currency: MAD}"
    assert shown([True, None]) == "[true, None]"
    long = shown("x" * 500)
    assert long is not None
    assert len(long) == SHOWN
    assert long.endswith("…")


def test_the_kinds_an_admin_asks_for_are_the_audited_aggregates() -> None:
    assert set(typing.get_args(Kind)) == set(KINDS)
    assert kind_of("parkgrid.catalogue.offering.updated") == "offering"
    assert kind_of("parkgrid.spaces.site.changed") == "site"
