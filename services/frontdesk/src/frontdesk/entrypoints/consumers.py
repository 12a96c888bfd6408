"""The web app's one consumer: the services' news of each site, for its open Today pages."""

from __future__ import annotations

from frontdesk.adapters.event_sites import EventSites
from frontdesk.service_layer.live import PANELS, LiveFeed, fan_out
from frontdesk.settings import FrontdeskSettings
from parkgrid.contracts.topics import topics
from parkgrid.runtime import Subscription


def subscriptions(settings: FrontdeskSettings, feed: LiveFeed, event_sites: EventSites) -> list[Subscription]:
    """Feed the site pages of this process from the topics Today shows.

    Every process must see every event to serve its own pages, so replicas need a group
    each (`FRONTDESK_LIVE_GROUP`); one process uses `<service>.live`.
    """
    return [
        Subscription(
            "live",
            topics(*PANELS),
            fan_out(
                feed,
                prefix=settings.topic_prefix,
                record_event_site=event_sites.record,
                site_of_event=event_sites.site_of,
            ),
            group=settings.live_group,
            # The sites of community events are this consumer's projection: `parkgrid rebuild
            # frontdesk live` drops and replays it (the pages it feeds meanwhile are this process's).
            projections=[event_sites.projection.collection],
        )
    ]
