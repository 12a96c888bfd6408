"""The audit trail's queries over the fact log: newest first, by object, actor or kind."""

from __future__ import annotations

import re
from typing import Any

from insights.adapters.projection import InsightsStore
from insights.domain.audit import AUDITED, KINDS, Change, changes
from insights.domain.facts import aggregate_of
from parkgrid import paging
from parkgrid.store import Document


def _types(aggregates: list[str]) -> dict[str, str]:
    """The facts of these aggregates, by their type's prefix (`parkgrid.<topic>.`)."""
    return {"$regex": "^parkgrid\\.(" + "|".join(re.escape(a) for a in aggregates) + ")\\."}


async def trail(
    store: InsightsStore,
    *,
    subject: str | None = None,
    actor: str | None = None,
    kind: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[tuple[Document, list[Change]]], str | None]:
    """One page of changes, newest first, each with the fields it changed; and the next cursor.

    The facts before a page's (the same aggregates' earlier events) come in one query."""
    query: Document = {"type": _types([KINDS[kind]] if kind else list(AUDITED))}
    if subject:
        query["subject"] = subject
    if actor:
        query["actor"] = actor
    facts, following = await paging.page(store.facts, query, "time", limit, cursor, newest_first=True)
    subjects = sorted({f["subject"] for f in facts})
    earlier: dict[tuple[str, str], list[Document]] = {}
    if facts:
        related = {"subject": {"$in": subjects}, "type": query["type"]}
        async for doc in store.facts.find(related, {"type": 1, "subject": 1, "sequence": 1, "data": 1}):
            earlier.setdefault((aggregate_of(doc["type"]), doc["subject"]), []).append(doc)
    return [(fact, changes(_before(fact, earlier), fact["data"])) for fact in facts], following


def _before(fact: Document, earlier: dict[tuple[str, str], list[Document]]) -> dict[str, Any] | None:
    """The data of the aggregate's event just before `fact` (None for its first)."""
    same = earlier.get((aggregate_of(fact["type"]), fact["subject"]), [])
    previous = [d for d in same if d["sequence"] < fact["sequence"]]
    return max(previous, key=lambda d: d["sequence"])["data"] if previous else None
