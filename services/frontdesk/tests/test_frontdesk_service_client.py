"""The web app's client of a service: a read whose pooled connection was closed under it is sent
once more (the service closed an idle keep-alive connection just as it was picked; CI saw the
staff sites page lose spaces' answer to it), a write is never repeated, and a service that stays
unreachable is reported as unavailable."""

from __future__ import annotations

import httpx
import pytest

from frontdesk.adapters.services import ServiceClient, Unavailable


class ClosesFirst(httpx.AsyncBaseTransport):
    """Fails the first `failures` requests as a connection closed by the server would."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.seen: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request.method)
        if len(self.seen) <= self.failures:
            raise httpx.ReadError("", request=request)
        return httpx.Response(200, json={"ok": True})


async def test_a_read_is_sent_again_when_its_connection_was_closed() -> None:
    transport = ClosesFirst(failures=1)
    client = ServiceClient("spaces", "http://spaces.test", transport=transport)
    assert await client.get("/v1/sites", "token") == {"ok": True}
    assert transport.seen == ["GET", "GET"]
    await client.close()


async def test_a_write_is_not_sent_again() -> None:
    transport = ClosesFirst(failures=1)
    client = ServiceClient("bookings", "http://bookings.test", transport=transport)
    with pytest.raises(Unavailable):
        await client.post("/v1/bookings", "token", {"offering_id": "off-1"})
    assert transport.seen == ["POST"]
    await client.close()


async def test_a_read_that_fails_twice_is_unavailable() -> None:
    transport = ClosesFirst(failures=2)
    client = ServiceClient("spaces", "http://spaces.test", transport=transport)
    with pytest.raises(Unavailable):
        await client.get("/v1/sites", "token")
    assert transport.seen == ["GET", "GET"]
    await client.close()
