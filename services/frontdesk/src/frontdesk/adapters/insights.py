"""The insights API as the dashboard and the audit page read it, with the signed-in staff member's
own token: the KPIs of a scope (`KpiReport`) and the same as CSV, relayed to the browser as it
arrives; the audit trail (`AuditPage`).

Insights decides who sees what (a front desk its own sites, an admin the network); a refusal is
a `ServiceProblem`, a service down `Unavailable`, like every other service client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import ClassVar
from urllib.parse import urlencode

import httpx

from frontdesk.adapters.services import ServiceClient, ServiceProblem, Unavailable
from parkgrid.api.insights import AuditPage, KpiReport
from parkgrid.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class KpiQuery:
    """One scope and period: a site (None: the network for admins, a desk's own sites together)."""

    site_id: str | None
    first: date
    last: date
    as_of: date

    def params(self) -> dict[str, str]:
        query = {"from": self.first.isoformat(), "to": self.last.isoformat(), "as_of": self.as_of.isoformat()}
        return query | ({"site_id": self.site_id} if self.site_id else {})


@dataclass(frozen=True)
class AuditQuery:
    """The trail an admin asked for: by object, actor and kind (each optional), from a cursor."""

    FILTERS: ClassVar[tuple[str, ...]] = ("object_id", "actor", "kind")

    object_id: str | None = None
    actor: str | None = None
    kind: str | None = None
    cursor: str | None = None

    def params(self) -> dict[str, str]:
        values = {"object_id": self.object_id, "actor": self.actor, "kind": self.kind, "cursor": self.cursor}
        return {k: v for k, v in values.items() if v}

    def older(self, cursor: str | None) -> str | None:
        """The page's address for the next, older changes (None at the end)."""
        if cursor is None:
            return None
        return "/staff/audit?" + urlencode(AuditQuery(self.object_id, self.actor, self.kind, cursor).params())


@dataclass
class CsvDownload:
    """The CSV as insights streams it: its chunks, its file name header, and how to let go of it."""

    chunks: AsyncIterator[bytes]
    disposition: str
    response: httpx.Response

    async def close(self) -> None:
        await self.response.aclose()


class Insights(ServiceClient):
    async def audit(self, token: str, query: AuditQuery) -> AuditPage:
        return await self.read(AuditPage, "/v1/audit", token, **query.params())

    async def kpis(self, token: str, query: KpiQuery) -> KpiReport:
        return await self.read(KpiReport, "/v1/kpis", token, **query.params())

    async def kpis_csv(self, token: str, query: KpiQuery) -> CsvDownload:
        """Insights' CSV, opened as a stream: the caller relays its chunks, then closes it."""
        request = self.http.build_request(
            "GET", "/v1/kpis.csv", params=query.params(), headers={"Authorization": f"Bearer {token}"}
        )
        try:
            response = await self.http.send(request, stream=True)
        except httpx.TransportError as exc:
            log.warning("frontdesk.service_unavailable", service=self.name, path="/v1/kpis.csv", error=repr(exc))
            raise Unavailable(self.name, type(exc).__name__) from None
        if response.status_code >= 400:
            body = await response.aread()
            await response.aclose()
            if response.status_code >= 500:
                raise Unavailable(self.name, f"HTTP {response.status_code}")
            try:
                problem = httpx.Response(response.status_code, content=body).json()
            except ValueError:
                problem = {"detail": body[:300].decode("utf-8", "replace")}
            raise ServiceProblem(self.name, response.status_code, problem if isinstance(problem, dict) else {})
        disposition = response.headers.get("content-disposition", 'attachment; filename="kpis.csv"')
        return CsvDownload(response.aiter_bytes(), disposition, response)
