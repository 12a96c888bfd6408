"""Signed webhooks under /v1/webhooks, for admins: endpoints, their delivery log, replay.

The secret is answered once (on registering and on rotating); the delivery log (every attempt's
status code, latency and error) is readable for as long as insights keeps it; a replay re-sends
an endpoint's events from the fact log since any moment.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from insights.adapters.projection import aware
from insights.adapters.webhooks import WebhookStore
from insights.service_layer.webhooks import EndpointCommands, Webhooks
from parkgrid.api.webhooks import (
    Attempt,
    DeliveryDetail,
    DeliveryPage,
    DeliverySummary,
    Endpoint,
    EndpointChange,
    EndpointIn,
    EndpointPage,
    EndpointWithSecret,
    Replay,
    ReplayIn,
)
from parkgrid.http.access import Admin, component
from parkgrid.http.idempotency import command_id
from parkgrid.http.problems import NotFound, problems
from parkgrid.store import Document

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
Store = Annotated[WebhookStore, component(WebhookStore)]
Commands = Annotated[EndpointCommands, component(EndpointCommands)]
Worker = Annotated[Webhooks, component(Webhooks)]
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=1000)]


MOMENTS = ("created_at", "updated_at", "due_at", "delivered_at")


def read(doc: Document) -> Document:
    """The stored document as a read model takes it: `id`, and its moments in UTC (the store keeps them naive)."""
    return {**doc, "id": doc["_id"], **{k: aware(doc[k]) for k in MOMENTS if doc.get(k) is not None}}


def endpoint_of(doc: Document) -> Endpoint:
    return Endpoint.model_validate(read(doc))


def with_secret(doc: Document) -> EndpointWithSecret:
    return EndpointWithSecret.model_validate(read(doc))


def summary_of(doc: Document) -> Document:
    attempts = doc.get("attempts", [])
    return {
        **read(doc),
        "attempt_count": len(attempts),
        "last_status_code": attempts[-1]["status_code"] if attempts else None,
        "due_at": doc.get("due_at") if doc["status"] == "pending" else None,
    }


async def found(store: WebhookStore, endpoint_id: str) -> Document:
    endpoint = await store.endpoint(endpoint_id)
    if endpoint is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}")
    return endpoint


@router.post("/endpoints", status_code=201, response_model=EndpointWithSecret, responses=problems(403, 422))
async def register_endpoint(principal: Admin, commands: Commands, body: EndpointIn) -> EndpointWithSecret:
    """The answer carries the signing secret, this once."""
    made = await commands.register(body.model_dump(), by=f"{principal.role}:{principal.subject}")
    return with_secret(made)


@router.get("/endpoints", response_model=EndpointPage, responses=problems(403, 422))
async def list_endpoints(principal: Admin, store: Store, limit: Limit = 50, cursor: Cursor = None) -> EndpointPage:
    docs, following = await store.endpoint_page(limit, cursor)
    return EndpointPage(items=[endpoint_of(d) for d in docs], next_cursor=following)


@router.get("/endpoints/{endpoint_id}", response_model=Endpoint, responses=problems(403, 404))
async def get_endpoint(principal: Admin, store: Store, endpoint_id: str) -> Endpoint:
    return endpoint_of(await found(store, endpoint_id))


@router.patch(
    "/endpoints/{endpoint_id}",
    response_model=EndpointWithSecret | Endpoint,
    responses=problems(403, 404, 422),
)
async def change_endpoint(
    principal: Admin, commands: Commands, endpoint_id: str, body: EndpointChange
) -> EndpointWithSecret | Endpoint:
    """`rotate_secret: true` answers the new secret, this once; the old one still signs beside it for
    `INSIGHTS_WEBHOOK_ROTATION_GRACE` (a day), so receivers can switch without losing a delivery."""
    changed = await commands.change(
        endpoint_id,
        enabled=body.enabled,
        rotate_secret=body.rotate_secret,
        description=body.description,
        event_types=body.event_types,
    )
    return with_secret(changed) if body.rotate_secret else endpoint_of(changed)


@router.delete("/endpoints/{endpoint_id}", status_code=204, responses=problems(403, 404))
async def remove_endpoint(principal: Admin, commands: Commands, endpoint_id: str) -> Response:
    await commands.remove(endpoint_id)
    return Response(status_code=204)


@router.get("/endpoints/{endpoint_id}/deliveries", response_model=DeliveryPage, responses=problems(403, 404, 422))
async def endpoint_deliveries(
    principal: Admin, store: Store, endpoint_id: str, limit: Limit = 50, cursor: Cursor = None
) -> DeliveryPage:
    """Newest first; `next_cursor` pages to older ones."""
    await found(store, endpoint_id)
    docs, following = await store.delivery_page(endpoint_id, limit, cursor)
    return DeliveryPage(items=[DeliverySummary.model_validate(summary_of(d)) for d in docs], next_cursor=following)


@router.get("/deliveries/{delivery_id}", response_model=DeliveryDetail, responses=problems(403, 404))
async def delivery_detail(principal: Admin, store: Store, delivery_id: str) -> DeliveryDetail:
    """A delivery with every attempt: when, the receiver's status code, the latency, the error."""
    doc = await store.delivery(delivery_id)
    if doc is None:
        raise NotFound(f"no webhook delivery {delivery_id}")
    attempts = [Attempt.model_validate({**a, "at": aware(a["at"])}) for a in doc.get("attempts", [])]
    return DeliveryDetail.model_validate({**summary_of(doc), "attempts": attempts})


@router.post(
    "/endpoints/{endpoint_id}/replay", status_code=202, response_model=Replay, responses=problems(403, 404, 422)
)
async def replay(
    principal: Admin,
    store: Store,
    worker: Worker,
    endpoint_id: str,
    body: ReplayIn,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Replay:
    """Every event since `since` the endpoint wants, once more, under a replay id of its own
    (the same Idempotency-Key gives the same replay id: asked twice, enqueued once)."""
    endpoint = await found(store, endpoint_id)
    replay_id = "rp-" + command_id(f"insights.webhook-replay:{principal.subject}:{endpoint_id}", idempotency_key)
    enqueued = await worker.replay(endpoint, aware(body.since), replay_id)
    return Replay(replay_id=replay_id, enqueued=enqueued)
