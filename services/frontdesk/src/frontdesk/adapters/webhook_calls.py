"""Insights' webhook endpoints as the admins' page calls them, with the admin's own token: the list,
registering one (the form's Idempotency-Key; the answer carries the secret, once), enabling or
disabling, rotating the secret, replaying from a moment, and an endpoint's delivery log with each
delivery's attempts."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from frontdesk.adapters.insights import Insights
from parkgrid.api.webhooks import DeliveryDetail, DeliveryPage, Endpoint, EndpointPage, EndpointWithSecret, Replay

ROOT = "/v1/webhooks"


async def endpoints(insights: Insights, token: str) -> EndpointPage:
    return await insights.read(EndpointPage, f"{ROOT}/endpoints", token, limit=100)


async def endpoint(insights: Insights, token: str, endpoint_id: str) -> Endpoint:
    return await insights.read(Endpoint, f"{ROOT}/endpoints/{endpoint_id}", token)


async def register(insights: Insights, token: str, body: Mapping[str, Any], key: str) -> EndpointWithSecret:
    path = f"{ROOT}/endpoints"
    response = await insights.call("POST", path, token, body=body, headers={"Idempotency-Key": key})
    return insights.parse(EndpointWithSecret, response.json(), path)


async def switch(insights: Insights, token: str, endpoint_id: str, enabled: bool) -> Endpoint:
    path = f"{ROOT}/endpoints/{endpoint_id}"
    return insights.parse(Endpoint, await insights.patch(path, token, {"enabled": enabled}), path)


async def rotate(insights: Insights, token: str, endpoint_id: str) -> EndpointWithSecret:
    """A new secret, answered once; the old one still signs beside it for insights' grace period."""
    path = f"{ROOT}/endpoints/{endpoint_id}"
    return insights.parse(EndpointWithSecret, await insights.patch(path, token, {"rotate_secret": True}), path)


async def replay(insights: Insights, token: str, endpoint_id: str, since: datetime, key: str) -> Replay:
    """Every event since `since` the endpoint wants, sent again (the same key: enqueued once)."""
    path = f"{ROOT}/endpoints/{endpoint_id}/replay"
    body = {"since": since.isoformat()}
    response = await insights.call("POST", path, token, body=body, headers={"Idempotency-Key": key})
    return insights.parse(Replay, response.json(), path)


async def deliveries(
    insights: Insights, token: str, endpoint_id: str, cursor: str | None
) -> tuple[DeliveryPage, list[DeliveryDetail]]:
    """A page of the endpoint's deliveries, newest first, and each one's attempts (read together)."""
    page = await insights.read(
        DeliveryPage, f"{ROOT}/endpoints/{endpoint_id}/deliveries", token, limit=20, cursor=cursor
    )
    details = await asyncio.gather(
        *(insights.read(DeliveryDetail, f"{ROOT}/deliveries/{d.id}", token) for d in page.items)
    )
    return page, list(details)
