"""Someone erased (issue 22, item 3): insights forgets every copy of them it holds, over the real
broker and store, and a rebuild from offset 0 brings none of it back.

The rules (`insights.domain.erasure`) are tested first, pure; then the running service: a
member with two people, one of whom is erased after insights projected them, mailed them, made
webhook deliveries of their organisation's events and kept an export of it. After the erasure
(delivered twice): no fact, latest state, delivery body, mail or notice holds their name or
address, the export is gone, and everything of the other person and of another member is
unchanged. Then the projection is dropped and rebuilt from offset 0: still nothing of them.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from insights_fixtures import Sink, app, eventually, publish, settings, smtp_sink, wrap
from test_insights_notifications import booking, member, person

from insights.adapters.webhooks import WebhookStore
from insights.domain import erasure
from insights.service_layer.rebuilt import rebuild_and_compare
from insights.service_layer.webhooks import EndpointCommands
from insights.settings import InsightsSettings
from parkgrid.contracts import bookings as b
from parkgrid.contracts import community as c
from parkgrid.envelope import Envelope
from parkgrid.store import Database

__all__ = ["app", "settings", "smtp_sink"]

GONE = "Gone.Person@Example.ma"
KEPT = "kept@example.ma"
OTHER = "other@example.ma"


def test_a_member_event_loses_the_person_and_an_event_about_them_alone_goes() -> None:
    data = member("m-1", [person("p-1", KEPT, "fr"), person("p-2", GONE, "en")])
    kept = erasure.without(data, "p-2")
    assert kept is not None
    assert [p["person_id"] for p in kept["people"]] == ["p-1"]
    assert erasure.addresses(data, "p-2") == {GONE}
    added = {**data, "person": person("p-2", GONE, "en")}
    assert erasure.without(added, "p-2") is None
    assert erasure.addresses(added, "p-2") == {GONE}
    assert erasure.without(added, "p-1") == {**added, "people": [person("p-2", GONE, "en")]}
    body = json.dumps({"id": "ev-1", "type": "parkgrid.community.member.updated", "data": data})
    assert GONE not in (erasure.body_without(body, "p-2") or "")
    assert erasure.body_without(json.dumps({"id": "ev-2", "data": added}), "p-2") is None
    assert erasure.without({"booking_id": "bk-1", "person_id": "p-2"}, "p-2") == {
        "booking_id": "bk-1",
        "person_id": "p-2",
    }


def holds(document: Any, *needles: str) -> bool:
    text = json.dumps(document, default=str)
    return any(n in text for n in needles)


async def copies(db: Database, member_id: str) -> dict[str, list[dict[str, Any]]]:
    return {
        "facts": await db["facts"].find({"subject": member_id}).to_list(),
        "aggregates": await db["aggregates"].find({"_id": f"community.member:{member_id}"}).to_list(),
        # what was (or is to be) sent; its attempts go on changing as the worker retries
        "deliveries": await db["webhook_deliveries"]
        .find({"subject": member_id}, {"event_type": 1, "body": 1})
        .to_list(),
    }


async def test_an_erased_person_leaves_no_copy_in_insights_even_after_a_rebuild(
    app: FastAPI, settings: InsightsSettings, smtp_sink: tuple[Sink, int]
) -> None:
    sink, _ = smtp_sink
    db: Database = app.state.runtime.db
    endpoints: EndpointCommands = app.state.components[EndpointCommands]
    hooks: WebhookStore = app.state.components[WebhookStore]
    # Nobody answers there: each delivery stays in the log with its body.
    endpoint = await endpoints.register(
        {"url": "http://127.0.0.1:9/hooks", "event_types": ["parkgrid.community.member"], "owner_email": "o@x.ma"},
        by="admin:a-1",
    )
    now = datetime.now(UTC)
    kept, gone = person("p-kept", KEPT, "fr"), person("p-gone", GONE, "en")
    before = member("m-e", [kept])
    joined = member("m-e", [kept, gone])
    after = member("m-e", [kept])
    other = member("m-other", [person("p-other", OTHER, "fr")])
    confirmed = b.BookingConfirmed.model_validate(
        {**booking("bk-e", "m-e", "p-gone", now + timedelta(days=2), "confirmed"), "confirmed_at": now.isoformat()}
    )
    await publish(
        settings,
        [
            ("community.member", wrap(c.MemberRegistered.model_validate(before), "m-e", 1, "community")),
            ("community.member", wrap(c.PersonAdded.model_validate({**joined, "person": gone}), "m-e", 2, "community")),
            ("community.member", wrap(c.MemberRegistered.model_validate(other), "m-other", 1, "community")),
            ("bookings.booking", wrap(confirmed, "bk-e", 1, "bookings")),
        ],
    )

    async def mailed_and_delivered() -> bool:
        logged = await hooks.deliveries_of(endpoint["_id"])
        return bool(sink.to(GONE)) and len(logged) >= 3

    await eventually(mailed_and_delivered, within=30, what="the mail to the person and the deliveries")
    await db["exports"].insert_one({"_id": "exp-m-e", "member_id": "m-e", "person_id": None, "outbox_pending": False})
    await db["export_parts"].insert_one({"_id": "exp-m-e:community:1", "export_id": "exp-m-e", "records": [joined]})
    other_before = await copies(db, "m-other")
    kept_mail_before = await db["sent_mail"].count_documents({"email": OTHER})
    assert holds(await copies(db, "m-e"), GONE, "P-GONE")

    erased = wrap(c.PersonErased.model_validate({**after, "person_id": "p-gone"}), "m-e", 3, "community")
    await publish(settings, [("community.member", erased), ("community.member", erased)])  # redelivered

    async def forgotten() -> bool:
        left = await copies(db, "m-e")
        told = any(d["event_type"] == erasure.ERASED for d in left["deliveries"])
        mails = await db["sent_mail"].count_documents({"email": {"$in": [GONE, GONE.lower()]}})
        return told and not holds(left, GONE, "P-GONE") and mails == 0

    await eventually(forgotten, within=30, what="insights to forget the erased person")
    left = await copies(db, "m-e")
    assert [f["type"].rsplit(".", 1)[1] for f in sorted(left["facts"], key=lambda f: f["sequence"])] == [
        "registered",
        "person_erased",
    ]  # the fact about them alone went; the others lost them
    assert [p["person_id"] for p in left["aggregates"][0]["state"]["people"]] == ["p-kept"]
    assert holds(left, KEPT)  # the other person of the organisation is still there
    assert await db["notices"].count_documents({"person_id": "p-gone"}) == 0
    assert await db["exports"].count_documents({"member_id": "m-e"}) == 0
    assert await db["export_parts"].count_documents({"export_id": "exp-m-e"}) == 0
    assert await copies(db, "m-other") == other_before
    assert await db["sent_mail"].count_documents({"email": OTHER}) == kept_mail_before

    # Drop the projection and replay every topic from offset 0: the erasure comes after every
    # fact it undoes, so nothing of them comes back, and nothing else is lost.
    report = await asyncio.wait_for(rebuild_and_compare(settings, db=db), 90)
    assert report.differences == []
    rebuilt = await copies(db, "m-e")
    assert not holds(rebuilt["facts"], GONE, "P-GONE")
    assert not holds(rebuilt["aggregates"], GONE, "P-GONE")
    assert holds(rebuilt["facts"], KEPT)
    assert await copies(db, "m-other") == other_before


async def test_a_fact_redelivered_after_the_erasure_is_forgotten_with_it(
    app: FastAPI, settings: InsightsSettings, smtp_sink: tuple[Sink, int]
) -> None:
    """A consumer that stopped before committing gets the person's arrival again, then the erasure
    again (one partition, in order): the arrival is recorded anew and forgotten anew."""
    db: Database = app.state.runtime.db
    gone = person("p-again", "again@example.ma", "fr")
    stretch: list[tuple[str, Envelope]] = [
        ("community.member", wrap(c.MemberRegistered.model_validate(member("m-r", [])), "m-r", 1, "community")),
        (
            "community.member",
            wrap(c.PersonAdded.model_validate({**member("m-r", [gone]), "person": gone}), "m-r", 2, "community"),
        ),
        (
            "community.member",
            wrap(c.PersonErased.model_validate({**member("m-r", []), "person_id": "p-again"}), "m-r", 3, "community"),
        ),
    ]
    marker = wrap(c.MemberUpdated.model_validate({**member("m-r", []), "sector": "agritech"}), "m-r", 4, "community")
    await publish(settings, stretch)
    await publish(settings, [*stretch[1:], ("community.member", marker)])  # again, as after a crash before the commit

    async def past_the_marker() -> bool:  # one partition, in order: all before it is done
        return await db["facts"].count_documents({"_id": marker.id}) == 1

    await eventually(past_the_marker, within=30, what="the stretch and its marker")
    facts = await db["facts"].find({"subject": "m-r"}).sort("sequence", 1).to_list()
    assert [f["sequence"] for f in facts] == [1, 3, 4]  # the arrival, recorded anew, went again
    assert not holds(facts, "again@example.ma")
