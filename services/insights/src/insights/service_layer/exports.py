"""Exports (issue 22, item 2): what ParkGrid holds on a member organisation or a person, gathered
from every service through events and assembled here.

    request ──(insights.export.requested, to every service)──> parts arrive (<service>.export.answered)
        └── every service answered in full ──> ready: the archive is one JSON document

Asking twice with one Idempotency-Key is one export. Progress is computed from the parts received,
which are stored once each, so a redelivered part counts once. Insights adds its own part as it
assembles the archive: the mails it sent to the organisation's people (found by the addresses
community's part gives). An export, its parts and its archive are forgotten `EXPORT_RETENTION_DAYS`
after it was asked (`forget_expired`, a job of every replica).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from insights.adapters.exports import ExportStore
from insights.adapters.projection import aware
from parkgrid.clock import utc_now
from parkgrid.consumer import Delivery
from parkgrid.contracts.common import Actor
from parkgrid.contracts.privacy import (
    EXPORT_RETENTION_DAYS,
    EXPORTING_SERVICES,
    ExportAnswered,
    ExportRequested,
    ExportSubject,
)
from parkgrid.exports import jsonable
from parkgrid.logging import get_logger
from parkgrid.outbox import AlreadyExists
from parkgrid.refusals import Refused
from parkgrid.store import Collection, Document

log = get_logger(__name__)

MAIL_FIELDS = {"_id": 0, "email": 1, "language": 1, "subject": 1, "body": 1, "status": 1, "created_at": 1, "sent_at": 1}


def progress_of(services: list[str], received: list[Document]) -> list[dict[str, Any]]:
    """Each service's parts received of the parts it announced (pure)."""
    out = []
    for service in services:
        mine = [p for p in received if p["service"] == service]
        parts = mine[0]["parts"] if mine else None
        count = len({p["part"] for p in mine})
        out.append(
            {"service": service, "received": count, "parts": parts, "done": parts is not None and count >= parts}
        )
    return out


class Exports:
    def __init__(
        self,
        store: ExportStore,
        sent_mail: Collection,
        notify_relay: Callable[[], None],
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.sent_mail = sent_mail
        self.notify_relay = notify_relay
        self.clock = clock
        self.keep = timedelta(days=EXPORT_RETENTION_DAYS)

    async def request(self, subject: ExportSubject, by: Actor, export_id: str) -> Document:
        """Ask every service for what it holds on `subject`; the export as it stands."""
        if await self.store.requests.get(export_id) is None:
            now = self.clock()
            services = list(EXPORTING_SERVICES)
            asked = ExportRequested(
                export_id=export_id, subject=subject, requested_by=by, requested_at=now, services=services
            )
            state = {
                "export_id": export_id,
                "member_id": subject.member_id,
                "person_id": subject.person_id,
                "requested_by": by.model_dump(),
                "requested_at": now,
                "services": services,
                "ready_at": None,
                "expires_at": now + self.keep,
            }
            try:
                await self.store.requests.create(export_id, state, [asked])
                self.notify_relay()
                log.info("export.requested", export_id=export_id, services=services)
            except AlreadyExists:
                pass  # the same request, asked at the same time
        return await self.read(export_id)

    async def read(self, export_id: str) -> Document:
        """The export with its progress; 404 when there is none (or it was forgotten)."""
        doc = await self.store.requests.get(export_id)
        if doc is None:
            raise Refused.not_found(f"no export {export_id}")
        services = progress_of(doc["services"], await self.store.progress_of(export_id))
        done = sum(1 for s in services if s["done"])
        ready_at = doc.get("ready_at")
        return {
            **doc,
            "status": "ready" if done == len(services) else "gathering",
            "progress": done / len(services),
            "services": services,
            "requested_at": aware(doc["requested_at"]),
            "expires_at": aware(doc["expires_at"]),
            "ready_at": aware(ready_at) if ready_at else None,
        }

    async def on_answer(self, delivery: Delivery) -> None:
        """Keep a service's part (once); the export is ready when every service answered in full."""
        part = delivery.event
        if not isinstance(part, ExportAnswered):
            return
        export = await self.store.requests.get(part.export_id)
        if export is None:
            log.info("export.part_ignored", export_id=part.export_id, reason="no such export (forgotten?)")
            return
        await self.store.add_part(
            {
                "_id": f"{part.export_id}:{part.service}:{part.part}",
                "export_id": part.export_id,
                "service": part.service,
                "part": part.part,
                "parts": part.parts,
                "records": part.records,
                "received_at": self.clock(),
            }
        )
        received = await self.store.progress_of(part.export_id)
        if all(s["done"] for s in progress_of(export["services"], received)):
            await self.store.mark_ready(part.export_id, self.clock())

    async def archive(self, export_id: str) -> Document:
        """The archive of a ready export (409 while it is gathering)."""
        export = await self.read(export_id)
        if export["status"] != "ready":
            raise Refused.conflict(f"export {export_id} is still gathering ({export['progress']:.0%})")
        services: dict[str, dict[str, list[Document]]] = {}
        for part in await self.store.parts_of(export_id):
            into = services.setdefault(part["service"], {})
            for name, records in part["records"].items():
                into.setdefault(name, []).extend(records)
        emails = sorted(
            {
                p["email"]
                for member in services.get("community", {}).get("members", [])
                for p in member.get("people", [])
                if p.get("email")
            }
        )
        mails = await self.sent_mail.find({"email": {"$in": emails}}, MAIL_FIELDS).sort("created_at", 1).to_list()
        services["insights"] = {"sent_mail": [jsonable(m) for m in mails]}
        return {
            "export_id": export_id,
            "member_id": export["member_id"],
            "person_id": export["person_id"],
            "generated_at": self.clock(),
            "services": services,
        }

    async def forget_expired(self) -> int:
        return await self.store.forget_before(self.clock())
