"""Rate limiting of self-service commands: a token bucket per caller, 429 with Retry-After.

A member's script hammering `POST /v1/bookings` must not starve the front desk. Each
caller (the token's subject, or the client address when there is none) has a bucket of
`burst` tokens refilled at `per_minute`; a request without a token left gets 429 and a
`Retry-After` telling when one will be. Staff, admins and services are not limited by
default: they act for many members at once.

The buckets live in the process. With N replicas behind a round-robin a caller gets at
most N times the rate, which is what this guard is for (keeping one caller from
monopolising an instance), not a billing quota; a network-wide quota would need a shared
counter and is not what front desks asked for.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from parkgrid.auth import Principal, Role, authenticated
from parkgrid.http.problems import TooManyRequests, Unauthorized


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """Token buckets keyed by caller, bounded in memory (least recently used are dropped)."""

    def __init__(
        self,
        *,
        per_minute: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_callers: int = 10_000,
    ) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("per_minute must be positive and burst at least 1")
        self.rate = per_minute / 60.0
        self.burst = burst
        self._clock = clock
        self._max = max_callers
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, caller: str) -> float:
        """Take one token for `caller`; 0.0 when allowed, else seconds until one is available."""
        now = self._clock()
        bucket = self._buckets.pop(caller, None) or _Bucket(tokens=float(self.burst), updated=now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        self._buckets[caller] = bucket
        if len(self._buckets) > self._max:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate


_UNLIMITED_ROLES = frozenset({Role.FRONT_DESK, Role.ADMIN, Role.SERVICE})


def rate_limit(
    buckets: TokenBuckets, *, exempt: frozenset[Role] = _UNLIMITED_ROLES
) -> Callable[[Request], Coroutine[Any, Any, None]]:
    """A FastAPI dependency that spends one token of the caller's bucket or answers 429.

    The caller is the bearer token's subject; a request without a valid token is counted
    by client address (the route's own auth dependency answers it 401 anyway).
    """

    async def _limit(request: Request) -> None:
        principal: Principal | None
        try:
            principal = await authenticated(request)
        except Unauthorized:
            principal = None
        if principal is not None and principal.role in exempt:
            return
        caller = principal.subject if principal is not None else f"ip:{request.client.host if request.client else '-'}"
        wait = buckets.take(caller)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise TooManyRequests(
                f"too many requests from this caller; retry in {retry_after} s",
                headers={"Retry-After": str(retry_after)},
                retry_after=retry_after,
            )

    return _limit
