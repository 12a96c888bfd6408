"""An OIDC issuer's signing keys (its JWKS), fetched without blocking the event loop.

PyJWT's `PyJWKClient` fetches with blocking urllib (30 s timeout): called from a request
handler, a key refresh stalled every request of the process. `JwksKeys` fetches with
`httpx.AsyncClient` and keeps the key set in memory:
- a token signed with a `kid` it does not hold makes it fetch the set again, at most once
  per `min_refresh` seconds (an unknown `kid` is cheap to send, so it must not become a way
  to make every request hit the issuer); concurrent callers share one fetch;
- the set is also fetched again once older than `max_age`, in the background;
- when the issuer does not answer, the keys already held keep serving (a brief outage of the
  issuer does not sign everyone out); only a `kid` never seen is refused.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import httpx
import jwt

log = logging.getLogger(__name__)


class JwksUnavailable(Exception):
    """The key set could not be fetched (and none is held)."""


class JwksKeys:
    """The issuer's public keys by `kid`, refreshed asynchronously."""

    def __init__(
        self,
        url: str,
        *,
        min_refresh: float = 30.0,
        max_age: float = 3600.0,
        timeout: float = 5.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url = url
        self.min_refresh = min_refresh
        self.max_age = max_age
        self.timeout = timeout
        self._client = client
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._attempted_at = float("-inf")
        self._refreshing: asyncio.Task[None] | None = None
        self.fetches = 0
        """How many times the set was fetched (successfully or not): for tests and metrics."""

    @property
    def kids(self) -> frozenset[str]:
        return frozenset(self._keys)

    def cached(self, kid: str | None) -> Any | None:
        """The key of `kid` if held (no I/O). A token without `kid` gets the only key, if there is one."""
        if kid is None:
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(kid)

    def stale(self) -> bool:
        return time.monotonic() - self._fetched_at > self.max_age

    def may_refresh(self) -> bool:
        return time.monotonic() - self._attempted_at >= self.min_refresh

    async def key(self, kid: str | None) -> Any | None:
        """The key of `kid`, fetching the set first when it is unknown (rate-limited) or stale."""
        found = self.cached(kid)
        if found is not None:
            if self.stale() and self.may_refresh():
                self.refresh_soon()
            return found
        if self.may_refresh() or self._refreshing is not None:
            await self.refresh()
        return self.cached(kid)

    def refresh_soon(self) -> None:
        """Start a fetch in the background (from sync code running in the event loop); no-op without a loop."""
        if self._refreshing is not None or not self.may_refresh():
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        self._start()

    async def refresh(self) -> None:
        """Fetch the set now, or join the fetch already under way."""
        task = self._refreshing or self._start()
        await asyncio.shield(task)

    def _start(self) -> asyncio.Task[None]:
        self._attempted_at = time.monotonic()
        task = asyncio.get_running_loop().create_task(self._fetch())
        self._refreshing = task
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[None]) -> None:
        self._refreshing = None

    async def _fetch(self) -> None:
        self.fetches += 1
        try:
            if self._client is not None:
                response = await self._client.get(self.url, timeout=self.timeout)
            else:
                async with httpx.AsyncClient(timeout=self.timeout) as client:
                    response = await client.get(self.url)
            response.raise_for_status()
            keys = parse_jwks(response.json())
        except (httpx.HTTPError, ValueError, json.JSONDecodeError) as exc:
            # keep what we hold: the issuer's outage must not refuse tokens signed with known keys
            log.warning("could not fetch the JWKS at %s: %s (keeping %d cached keys)", self.url, exc, len(self._keys))
            return
        self._keys = keys
        self._fetched_at = time.monotonic()


def parse_jwks(document: Any) -> dict[str, Any]:
    """The usable signing keys of a JWKS document by `kid` (keys of other uses or algorithms are skipped)."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS document (no keys list)")
    keys: dict[str, Any] = {}
    for entry in document["keys"]:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig" or entry.get("kty") not in ("RSA", "EC"):
            continue
        try:
            jwk = jwt.PyJWK(entry)
        except jwt.PyJWTError:
            continue
        keys[str(entry.get("kid") or jwk.key_id or f"key-{len(keys)}")] = jwk.key
    return keys
