"""Where an online payment gateway sends its payment notices (billing.adapters.gateway says how to
plug one in). Not signed in: the notice's own signature is its proof (401 without it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request

from billing.adapters.gateway import GatewayHook, InvalidNotice
from billing.entrypoints.http.deps import Books
from billing.views import payment_read
from parkgrid.api.billing import PaymentRead
from parkgrid.http.access import component
from parkgrid.http.problems import Unauthorized, problems

router = APIRouter(prefix="/v1/gateway", tags=["gateway"])
Gateway = Annotated[GatewayHook, component(GatewayHook)]


@router.post("/notifications", response_model=PaymentRead, responses=problems(401, 404))
async def payment_notice(request: Request, gateway: Gateway, books: Books) -> PaymentRead:
    """A payment the gateway took: recorded once per gateway reference, on its invoice (or on the
    organisation's account when the invoice was paid meanwhile)."""
    body = await request.body()
    try:
        paid = gateway.gateway.verify(body, request.headers)
    except InvalidNotice as exc:
        raise Unauthorized(str(exc)) from None
    return payment_read(await books.record_gateway_payment(paid))
