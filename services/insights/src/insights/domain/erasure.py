"""What insights forgets when someone is erased (`community.member.person_erased`): pure rules.

Insights holds a person's name and email in three kinds of copies: the fact log and latest
states of their organisation (each member event lists its people; `person_added` and
`person_removed` are about one person), the webhook deliveries made of those facts, and the
mails it sent them. The rules here say, for one copy, what is left of it once the person is
forgotten: the same data without them, or nothing at all when the copy is about them alone.
Their id may stay: it names nobody once no copy of their name or address is left.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

ERASED = "parkgrid.community.member.person_erased"
MEMBER_EVENTS = "parkgrid.community.member."
"""Only member events carry people's names and addresses; every other event names people by id."""


def about_them(data: Mapping[str, Any], person_id: str) -> bool:
    """The event is about this person alone (they joined or left): nothing of it can stay."""
    person = data.get("person")
    return isinstance(person, Mapping) and person.get("person_id") == person_id


def without(data: Mapping[str, Any], person_id: str) -> dict[str, Any] | None:
    """The member event's data with the person out of its people; None when it is about them."""
    if about_them(data, person_id):
        return None
    people = data.get("people")
    if not isinstance(people, list):
        return dict(data)
    return {**data, "people": [p for p in people if not (isinstance(p, Mapping) and p.get("person_id") == person_id)]}


def addresses(data: Mapping[str, Any], person_id: str) -> set[str]:
    """Every address this member event gives the person (to find the mails sent to them)."""
    listed = [*(data.get("people") or []), data.get("person") or {}]
    return {
        str(p["email"]) for p in listed if isinstance(p, Mapping) and p.get("person_id") == person_id and p.get("email")
    }


def body_without(body: str, person_id: str) -> str | None:
    """A webhook delivery's body (a CloudEvent in JSON) without the person; None when it is about them."""
    event = json.loads(body)
    data = without(event.get("data") or {}, person_id)
    if data is None:
        return None
    return json.dumps({**event, "data": data}, separators=(",", ":"), ensure_ascii=False, default=str)
