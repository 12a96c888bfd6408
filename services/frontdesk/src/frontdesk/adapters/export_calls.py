"""Insights' exports as the web app calls them, with the visitor's own token (insights decides who
may: an admin, or a person of the organisation itself): ask (the form's Idempotency-Key, so a double
click is one export), follow, and fetch the archive as the file insights offers."""

from __future__ import annotations

from frontdesk.adapters.insights import Insights
from parkgrid.api.exports import ExportRead

ROOT = "/v1/exports"


async def request(insights: Insights, token: str, member_id: str, person_id: str | None, key: str) -> ExportRead:
    body = {"member_id": member_id, **({"person_id": person_id} if person_id else {})}
    response = await insights.call("POST", ROOT, token, body=body, headers={"Idempotency-Key": key})
    return insights.parse(ExportRead, response.json(), ROOT)


async def export(insights: Insights, token: str, export_id: str) -> ExportRead:
    return await insights.read(ExportRead, f"{ROOT}/{export_id}", token)


async def archive(insights: Insights, token: str, export_id: str) -> bytes:
    """The archive's bytes as insights wrote them (one JSON document)."""
    return (await insights.call("GET", f"{ROOT}/{export_id}/archive", token)).content
