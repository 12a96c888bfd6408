"""The kit's domain-event publication: exact-type mapping, order kept, unmapped events found."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pytest

from parkgrid.domain import DomainEvent, Publication, Unpublished
from parkgrid.events import IntegrationEvent


@dataclass(frozen=True)
class Opened(DomainEvent):
    what: str


@dataclass(frozen=True)
class Closed(DomainEvent):
    what: str


@dataclass(frozen=True)
class ClosedQuietly(Closed):
    pass


class Said(IntegrationEvent):
    event_type = "test.said"
    version = 1
    text: str


def _publication() -> Publication:
    publication = Publication("test")

    @publication.maps(Opened)
    def _opened(event: Opened) -> list[IntegrationEvent]:
        return [Said(text=f"opened {event.what}")]

    @publication.maps(Closed)
    def _closed(event: Closed) -> list[IntegrationEvent]:
        return [Said(text=f"closed {event.what}"), Said(text="bye")]

    return publication


def test_maps_each_event_in_order() -> None:
    published = _publication()([Opened("a"), Closed("a")])
    assert [e.text for e in published] == ["opened a", "closed a", "bye"]  # type: ignore[attr-defined]


def test_a_subclass_is_not_published_under_its_parents_contract() -> None:
    with pytest.raises(Unpublished, match="ClosedQuietly"):
        _publication()([ClosedQuietly("a")])


def test_a_second_mapping_for_one_kind_is_refused() -> None:
    publication = _publication()
    with pytest.raises(ValueError, match="already maps Opened"):
        publication.maps(Opened)(lambda event: [])


def test_unmapped_lists_the_modules_events_without_a_mapping() -> None:
    assert _publication().unmapped(sys.modules[__name__]) == ["ClosedQuietly"]
