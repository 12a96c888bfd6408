"""Keeping an OIDC session alive: the access token renewed with the refresh token before a page runs.

Apart from `oidc_signin` (which signs in and out) because it is ASGI middleware, not a route:
it must rewrite the request's cookies before any dependency reads the token.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import jwt
from fastapi import Request
from fastapi.responses import Response

from frontdesk.entrypoints.http.oidc_signin import (
    REFRESH_COOKIE,
    forget_session,
    keep_session,
    oidc_client,
    oidc_settings,
)
from frontdesk.entrypoints.http.visitors import TOKEN_COOKIE
from frontdesk.settings import FrontdeskSettings
from parkgrid.oidc import ProviderRefused, Tokens

EARLY_SECONDS = 5.0
"""Renew an access token this long before it expires (a page calls several APIs with it)."""


def expires_soon(token: str | None) -> bool:
    if not token:
        return True
    try:
        exp = jwt.decode(token, options={"verify_signature": False}).get("exp")
    except jwt.PyJWTError:
        return True
    return not isinstance(exp, int | float) or exp - EARLY_SECONDS <= time.time()


def cookie_pairs(scope: Scope) -> dict[str, str]:
    """The request's cookies, name to raw value, in order (every one kept as sent)."""
    pairs: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, sep, raw = part.strip().partition("=")
                if sep and key:
                    pairs[key] = raw
    return pairs


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]


class TokenRefresh:
    """Renews an expired access token with the refresh token before the page sees the request.

    The renewed token replaces the old one in the request's cookies (so the page and the
    APIs it calls get it) and in the browser's (Set-Cookie on the answer). The panels of one
    page arrive together with the same refresh token: they share one renewal. When the
    provider refuses the refresh, the refresh cookie is dropped and the page asks to sign in.
    """

    REMEMBER_SECONDS = 30.0

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._renewals: dict[str, tuple[asyncio.Task[Tokens], float]] = {}

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not oidc_settings(Request(scope)).enabled:
            await self.app(scope, receive, send)
            return
        cookies = cookie_pairs(scope)
        refresh = cookies.get(REFRESH_COOKIE)
        path = scope.get("path", "")
        if not refresh or not expires_soon(cookies.get(TOKEN_COOKIE)) or path.startswith(("/sign-in/oidc", "/static")):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        try:
            tokens: Tokens | None = await self._renewal(request, refresh)
        except ProviderRefused:
            tokens = None
        cookies.pop(TOKEN_COOKIE, None)
        if tokens is not None:
            cookies[TOKEN_COOKIE] = tokens.access_token
        header = "; ".join(f"{name}={value}" for name, value in cookies.items()).encode("latin-1")
        scope = dict(scope)
        scope["headers"] = [(n, v) for n, v in scope["headers"] if n != b"cookie"] + [(b"cookie", header)]
        settings: FrontdeskSettings = request.app.state.components[FrontdeskSettings]

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start":
                carrier = Response()
                if tokens is not None:
                    keep_session(carrier, settings, tokens)
                else:
                    forget_session(carrier)
                extra = [(n, v) for n, v in carrier.raw_headers if n == b"set-cookie"]
                message = dict(message)
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_cookies)

    async def _renewal(self, request: Request, refresh: str) -> Tokens:
        now = time.monotonic()
        for key, (_, at) in list(self._renewals.items()):
            if now - at > self.REMEMBER_SECONDS:
                del self._renewals[key]
        found = self._renewals.get(refresh)
        if found is None:
            task = asyncio.get_running_loop().create_task(oidc_client(request).refresh(refresh))
            found = (task, now)
            self._renewals[refresh] = found
        return await asyncio.shield(found[0])
