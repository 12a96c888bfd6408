"""What the catalogue knows of a site's spaces, and whether an offering's space requirement can be met.

An offering that needs a room must be one some room of its site can host, or its slots would
show times the booking saga can only reject (`no_space`). Features come from one vocabulary,
`SpaceFeature`, owned by spaces: an offering may ask only for a feature a space can declare.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from parkgrid.contracts.common import SpaceRequirement
from parkgrid.contracts.spaces import SpaceFeature

FEATURES = frozenset(f.value for f in SpaceFeature)


@dataclass(frozen=True)
class SpaceFacts:
    """An active space of a site as spaces last published it: its kind, seats and features."""

    space_id: str
    kind: str
    seats: int
    features: frozenset[str]


def unknown_features(features: Iterable[str]) -> list[tuple[int, str]]:
    """(index, feature) of each feature outside the spaces' vocabulary."""
    return [(index, feature) for index, feature in enumerate(features) if feature not in FEATURES]


def meets(space: SpaceFacts, requirement: SpaceRequirement) -> bool:
    """The space is of the kind asked, seats at least as many, and has every feature asked."""
    return (
        space.kind == requirement.kind.value
        and space.seats >= requirement.seats
        and set(requirement.features) <= space.features
    )


def unmet(requirement: SpaceRequirement, site_name: str, spaces: Sequence[SpaceFacts]) -> str | None:
    """Why no active space of the site can host the requirement; None when one can."""
    if any(meets(space, requirement) for space in spaces):
        return None
    kind = requirement.kind.value.replace("_", " ")
    wanted = f" with {', '.join(requirement.features)}" if requirement.features else ""
    return f"no active {kind} at {site_name} has {requirement.seats} seats{wanted}"
