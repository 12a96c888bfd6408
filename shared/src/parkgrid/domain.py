"""Domain events, and the one place a service turns them into the events it publishes.

A service's domain speaks its own language: a transition returns the aggregate's new state
and the `DomainEvent`s that say what happened inside it. What other services read is a
different thing, the public integration events of `parkgrid.contracts`, versioned and
kept stable for subscribers. Mapping one to the other happens in exactly one place per
service, its `Publication` (eShop's pattern): the domain can rename, split or enrich its
events without touching a contract, and a contract can grow without touching a rule.

    publication = Publication("bookings")

    @publication.maps(BookingOpened)
    def _(event: BookingOpened) -> list[IntegrationEvent]:
        return [BookingRequested(**event.booking.snapshot())]

    state, happened = domain.open_booking(booking, now)
    await store.create(booking_id, state.snapshot(), publication(happened))

`Publication.unmapped(module)` lists the domain events of a module that have no mapping, so
a test catches an event the domain records and nobody would ever publish.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, TypeVar

from parkgrid.events import IntegrationEvent


@dataclass(frozen=True)
class DomainEvent:
    """Something that happened inside one aggregate, in the service's own words (never published as is)."""


E = TypeVar("E", bound=DomainEvent)
Mapping = Callable[[Any], Sequence[IntegrationEvent]]
Mapper = Callable[[E], Sequence[IntegrationEvent]]


class Unpublished(TypeError):
    """A domain event with no mapping: a programming error, caught by `Publication.unmapped` in tests."""


class Publication:
    """One service's map from its domain events to the integration events it publishes.

    A domain event may map to none (an internal fact no subscriber needs), one, or several
    public events. Mappings are looked up by exact type, so a subclass is never published
    under its parent's contract by accident.
    """

    def __init__(self, service: str) -> None:
        self.service = service
        self._mappings: dict[type[DomainEvent], Mapping] = {}

    def maps(
        self, kind: type[E]
    ) -> Callable[[Callable[[E], Sequence[IntegrationEvent]]], Callable[[E], Sequence[IntegrationEvent]]]:
        """Register the mapping of `kind` (a decorator); a second mapping for the same kind is a mistake."""

        def register(mapping: Mapper[E]) -> Mapper[E]:
            if kind in self._mappings:
                raise ValueError(f"{self.service} already maps {kind.__name__}")
            self._mappings[kind] = mapping
            return mapping

        return register

    def __call__(self, happened: Iterable[DomainEvent]) -> list[IntegrationEvent]:
        """The public events for what happened, in order."""
        published: list[IntegrationEvent] = []
        for event in happened:
            mapping = self._mappings.get(type(event))
            if mapping is None:
                raise Unpublished(f"{self.service} has no mapping for {type(event).__name__}")
            published.extend(mapping(event))
        return published

    def unmapped(self, *modules: ModuleType) -> list[str]:
        """Names of the `DomainEvent` classes defined in `modules` that this publication does not map."""
        missing: list[str] = []
        for module in modules:
            for name, value in vars(module).items():
                if (
                    inspect.isclass(value)
                    and issubclass(value, DomainEvent)
                    and value is not DomainEvent
                    and value.__module__ == module.__name__
                    and value not in self._mappings
                ):
                    missing.append(name)
        return sorted(missing)


__all__ = ["DomainEvent", "Publication", "Unpublished"]
