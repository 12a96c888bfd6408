"""The topic catalogue: every topic ParkGrid publishes to, declared once.

Facts go to `<service>.<aggregate>`, keyed by aggregate id so each aggregate's events
stay ordered; requests addressed to a service go to `<service>.commands`. Fact topics
keep their whole history (retention -1) so any projection can be rebuilt from offset 0.
"""

from __future__ import annotations

from parkgrid.topics import TopicSpec

TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(name="catalogue.offering", description="Offerings of the service grid: published, updated, withdrawn."),
    TopicSpec(name="bookings.booking", partitions=6, description="Bookings of offerings and their lifecycle."),
    TopicSpec(name="bookings.waitlist", description="Waitlist entries of full sessions."),
    TopicSpec(name="bookings.entitlement", description="Members' entitlements: granted, consumed, restored."),
    TopicSpec(name="spaces.site", partitions=1, description="Sites of the network."),
    TopicSpec(name="spaces.space", description="Spaces of each site."),
    TopicSpec(name="spaces.residency", description="Long-term residencies of member organisations."),
    TopicSpec(name="spaces.reservation", description="Short-term reservations of spaces."),
    TopicSpec(name="spaces.commands", description="Requests to spaces: reserve, release.", key="resource or site id"),
    TopicSpec(name="community.member", description="Member organisations, their people and programme stage."),
    TopicSpec(name="community.event", description="Community events."),
    TopicSpec(name="community.registration", description="Registrations to community events."),
)
