"""The web app's consumers: the sites of community events (one group shared by every
replica), and the live feed of its open Today pages (a group-less reader in each process)."""

from __future__ import annotations

from frontdesk.adapters.event_sites import EventSites
from frontdesk.adapters.known_members import MemberDirectory
from frontdesk.adapters.known_sites import SiteDirectory
from frontdesk.service_layer.live import PANELS, LiveFeed, fan_out
from frontdesk.settings import FrontdeskSettings
from parkgrid.consumer import Delivery
from parkgrid.contracts.topics import topics
from parkgrid.runtime import Subscription


def subscriptions(settings: FrontdeskSettings, feed: LiveFeed, event_sites: EventSites) -> list[Subscription]:
    """`event-sites` (group `<service>.event-sites`, shared: each event recorded once, a
    rebuildable projection: `parkgrid rebuild frontdesk event-sites`) and `live`, from the end
    of the topics Today shows, with no consumer group: every process sees every new event for
    its own pages, and a rollout neither replays history nor leaves groups behind."""

    async def record(delivery: Delivery) -> None:
        await event_sites.record(delivery.envelope)

    return [
        Subscription("event-sites", topics("community.event"), record, projections=[event_sites.projection.collection]),
        Subscription(
            "live",
            topics(*PANELS),
            fan_out(feed, prefix=settings.topic_prefix, site_of_event=event_sites.site_of),
            from_end=True,
        ),
    ]


def site_subscription(sites: SiteDirectory) -> Subscription:
    """`sites` (group `<service>.sites`, shared by every replica, from the start of `spaces.site`;
    rebuildable: `parkgrid rebuild frontdesk sites`): the names and zones member pages show."""
    return Subscription("sites", topics("spaces.site"), sites.record, projections=[sites.collection])


def member_subscription(members: MemberDirectory) -> Subscription:
    """`members` (group `<service>.members`, shared, from the start of `community.member`;
    rebuildable: `parkgrid rebuild frontdesk members`): the name and home site a desk's page
    shows of a member based at another site."""
    return Subscription("members", topics("community.member"), members.record, projections=[members.collection])
