"""Calling a service's app in the test's own process, as its callers reach it."""

from __future__ import annotations

import httpx
from starlette.types import ASGIApp


def app_client(
    app: ASGIApp, name: str = "test", *, timeout: float = 60.0, raise_app_exceptions: bool = False
) -> httpx.AsyncClient:
    """An HTTP client of `app` over ASGI (no socket), at `http://{name}`.

    By default an unhandled error comes back as the 500 a caller would get, not as an exception
    in the test: a test of an answer then sees the answer. `timeout` is generous because a
    guarded write may wait on the store while a race is being run against it."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
    return httpx.AsyncClient(transport=transport, base_url=f"http://{name}", timeout=timeout)
