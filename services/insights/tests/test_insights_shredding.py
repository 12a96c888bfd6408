"""Crypto-shredding (issue 22, item 3), over the real broker and store: member events carry people's
names and emails sealed under a key per person (`parkgrid.shredding`), which community shares on
`community.subject_key`. Insights opens them to mail the person, even when the key arrives after
the events that need it; once the person is erased, their key is shredded, and neither insights'
facts nor a rebuild of its projections from offset 0 holds anything that opens to their name or
address, while the other person's still opens.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from insights_fixtures import Sink, app, eventually, publish, settings, smtp_sink, wrap
from test_insights_notifications import booking, member, person

from insights.adapters.keys import SUBJECT_KEYS, SubjectKeys
from insights.service_layer.rebuilt import rebuild_and_compare
from insights.settings import InsightsSettings
from parkgrid import shredding
from parkgrid.contracts import bookings as b
from parkgrid.contracts import community as c
from parkgrid.envelope import Envelope
from parkgrid.events import registry
from parkgrid.rebuild import ProjectionSpec, rebuild
from parkgrid.store import Database

__all__ = ["app", "settings", "smtp_sink"]

GONE, KEPT = "gone@sealed.example", "kept@sealed.example"


def sealed_member(member_id: str, people: list[dict[str, Any]], keys: dict[str, str]) -> dict[str, Any]:
    return member(member_id, [shredding.sealed_person(p, keys[p["person_id"]]) for p in people])


def key_event(person_id: str, member_id: str, key: str | None, sequence: int) -> tuple[str, Envelope]:
    event = (
        c.SubjectKeyIssued(person_id=person_id, member_id=member_id, key=key)
        if key is not None
        else c.SubjectKeyShredded(person_id=person_id, member_id=member_id)
    )
    return "community.subject_key", wrap(event, person_id, sequence, "community")


def opens_to(documents: list[dict[str, Any]], keys: dict[str, str], *texts: str) -> bool:
    """Whether any sealed or clear value in the documents reads as one of `texts` with `keys`."""

    def values(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [v for value in node.values() for v in values(value)]
        if isinstance(node, list):
            return [v for value in node for v in values(value)]
        return [node] if isinstance(node, str) else []

    return any(shredding.opened(v, keys) in texts for doc in documents for v in values(doc))


async def test_sealed_people_are_mailed_and_once_erased_nothing_opens_to_them(
    app: FastAPI, settings: InsightsSettings, smtp_sink: tuple[Sink, int]
) -> None:
    sink, _ = smtp_sink
    db: Database = app.state.runtime.db
    keys = {"p-gone": shredding.new_key(), "p-kept": shredding.new_key()}
    gone, kept = person("p-gone", GONE, "en"), person("p-kept", KEPT, "fr")
    both = sealed_member("m-s", [kept, gone], keys)
    now = datetime.now(UTC)
    confirmed = b.BookingConfirmed.model_validate(
        {**booking("bk-s", "m-s", "p-gone", now + timedelta(days=2), "confirmed"), "confirmed_at": now.isoformat()}
    )
    # The member and a booking first, the keys a moment later: the mail waits for the key.
    await publish(
        settings,
        [
            ("community.member", wrap(c.MemberRegistered.model_validate(both), "m-s", 3, "community")),
            ("bookings.booking", wrap(confirmed, "bk-s", 1, "bookings")),
        ],
    )
    await asyncio.sleep(1.0)
    assert not sink.to(GONE)
    await publish(
        settings, [key_event("p-kept", "m-s", keys["p-kept"], 1), key_event("p-gone", "m-s", keys["p-gone"], 2)]
    )

    async def mailed() -> bool:
        return bool(sink.to(GONE))

    await eventually(mailed, within=30, what="the mail, once the key arrived")
    assert "P-GONE" in sink.to(GONE)[0].get_content()  # the greeting opened the sealed name
    facts = await db["facts"].find({"subject": "m-s"}).to_list()
    assert not opens_to(facts, {}, GONE, KEPT)  # insights keeps them sealed, as the log does
    assert opens_to(facts, keys, GONE)

    erased = c.PersonErased.model_validate({**sealed_member("m-s", [kept], keys), "person_id": "p-gone"})
    await publish(
        settings,
        [("community.member", wrap(erased, "m-s", 4, "community")), key_event("p-gone", "m-s", None, 3)],
    )
    store = SubjectKeys(db[SUBJECT_KEYS])

    async def shredded() -> bool:
        mails = await db["sent_mail"].count_documents({"person_id": "p-gone"})
        return await store.of(["p-gone", "p-kept"]) == {"p-kept": keys["p-kept"]} and mails == 0

    await eventually(shredded, within=30, what="the key shredded and the mails to them forgotten")

    # Rebuild every projection of insights that the log feeds, from offset 0.
    report = await asyncio.wait_for(rebuild_and_compare(settings, db=db), 90)
    assert report.differences == []
    spec = ProjectionSpec(
        SUBJECT_KEYS, [settings.topic_prefix + "community.subject_key"], store.on_event, [store.collection]
    )
    await asyncio.wait_for(
        rebuild(spec, bootstrap_servers=settings.kafka_bootstrap_servers, registry=registry, settings=settings), 90
    )
    held = await store.of(["p-gone", "p-kept"])
    assert held == {"p-kept": keys["p-kept"]}
    facts = await db["facts"].find({"subject": "m-s"}).to_list()
    assert not opens_to(facts, held, GONE, "P-GONE")  # nothing of theirs opens with what insights holds
    assert opens_to(facts, held, KEPT)  # the other person's still does
