"""`parkgrid seed` for insights: nothing to create — insights holds only what the events say.

It makes sure the topics it reads exist, so its consumers start at once.
"""

from __future__ import annotations

from insights.adapters.projection import topics_of
from insights.settings import InsightsSettings
from parkgrid.topics import ensure_topics


async def seed() -> str:
    settings = InsightsSettings()
    await ensure_topics(
        settings.kafka_bootstrap_servers,
        [t.prefixed(settings.topic_prefix) for t in topics_of()],
        replication_factor=settings.kafka_replication_factor,
    )
    return "insights: nothing to seed (built from the events of the other services); topics ensured"
