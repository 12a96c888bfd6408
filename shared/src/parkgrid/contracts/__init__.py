"""ParkGrid's published contracts: the topic catalogue and the integration events of
every context, registered in `parkgrid.events.registry` on import.

Subscribers in Python import this package; others read the generated JSON Schemas and
AsyncAPI document in `shared/contracts/`.
"""

from parkgrid.contracts import billing, bookings, catalogue, community, privacy, spaces
from parkgrid.contracts.topics import TOPICS, topic_of
from parkgrid.events import registry

__all__ = ["TOPICS", "billing", "bookings", "catalogue", "community", "privacy", "registry", "spaces", "topic_of"]
