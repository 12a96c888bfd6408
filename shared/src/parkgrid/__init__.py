"""ParkGrid's common kit.

Only what every service needs lives here: the event envelope and its Kafka binding,
the event-type registry, topics, the producer and consumer runner, the embedded
outbox and its relay, the projection version guard, the store client, HTTP
conventions (problem+json, idempotency, auth, health, metrics), logging and settings.
Nothing service-specific belongs in this package.
"""
