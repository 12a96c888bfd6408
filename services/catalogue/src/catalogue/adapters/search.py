"""Discovery: the compact search entries of offerings and the queries over them.

An entry (collection `offerings_search`) holds only what searches filter and sort on:
`status`, `site` (`network` for network-wide), `category`, `mode`, one boolean per member
kind (`for_<kind>`) and programme stage (`at_<stage>`) that may use the offering (all true
when the eligibility names none), the `cohorts` admitted (`["*"]` for any), the `weekdays`
with a window and the `closed` day ranges,
a casefolded `search_text` (titles and descriptions in every language, the provider), the
sort keys `title_sort` and `created_at`, and the `version` it was projected from.

Why this shape (numbers in the README): FerretDB 1.24 on SQLite decodes every candidate
document in Go, which costs far more for a nested 1 KB offering than for a flat 300-byte
entry; and with deploy/local/ferretdb/scalar-filters.patch SQLite itself selects the
candidates for top-level equalities on strings and booleans. So every narrowing filter is
such an equality (eligibility as booleans rather than `$in` on arrays); free text
(`$regex`), the weekday prefilter (`$in`), the cursor (`$or`) and the closures (Python)
then only look at the candidates. On MongoDB the same filters use the declared indexes.
A page is chosen on entries, then its offerings are read by `_id` (`$in`, indexed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING

from catalogue.domain.availability import open_on_some_day, weekdays_between
from catalogue.domain.offering import Offering, OfferingDetails
from parkgrid.contracts.catalogue import OfferingStatus
from parkgrid.contracts.common import MemberKind, ProgrammeStage
from parkgrid.paging import BadCursor, decode, encode
from parkgrid.store import Collection, Document

NETWORK = "network"
ANY_COHORT = "*"
"""The `cohorts` of an entry whose eligibility names none: any cohort (and a member with none) may use it."""
SORTS: dict[str, tuple[str, int]] = {
    "title": ("title_sort", ASCENDING),
    "-title": ("title_sort", DESCENDING),
    "created": ("created_at", ASCENDING),
    "-created": ("created_at", DESCENDING),
}


def kind_field(kind: str) -> str:
    return f"for_{kind}"


def stage_field(stage: str) -> str:
    return f"at_{stage}"


def search_text(details: OfferingDetails) -> str:
    parts = [details.title.fr, details.title.en, details.title.ar, details.description.fr, details.description.en]
    parts += [details.description.ar, details.provider.name, details.provider.organisation]
    return "\n".join(p for p in parts if p).casefold()


def search_entry(offering: Offering, version: int) -> Document:
    """The search entry of an offering at `version` (without `_id`)."""
    details = offering.details
    kinds = {k.value for k in details.eligibility.member_kinds} or {k.value for k in MemberKind}
    stages = {s.value for s in details.eligibility.stages} or {s.value for s in ProgrammeStage}
    return {
        "version": version,
        "status": offering.status.value,
        "site": details.site_id or NETWORK,
        "category": details.category.value,
        "mode": details.mode.value,
        **{kind_field(k.value): k.value in kinds for k in MemberKind},
        **{stage_field(s.value): s.value in stages for s in ProgrammeStage},
        "cohorts": sorted(details.eligibility.cohorts) or [ANY_COHORT],
        "weekdays": sorted({w.weekday for w in details.availability}),
        "closed": [f"{c.first_day}/{c.last_day}" for c in details.closures],
        "search_text": search_text(details),
        "title_sort": details.title.en.casefold(),
        "created_at": offering.created_at,
    }


@dataclass(frozen=True)
class Search:
    """A discovery query; every field narrows the result."""

    statuses: tuple[OfferingStatus, ...] = (OfferingStatus.PUBLISHED,)
    site: str | None = None
    category: str | None = None
    mode: str | None = None
    member_kind: str | None = None
    stage: str | None = None
    eligible_kind: str | None = None
    eligible_stage: str | None = None
    eligible_cohort: str | None = None
    """With `eligible_kind`: the member's cohort (None: a member in no cohort)."""
    text: str | None = None
    available_from: date | None = None
    available_to: date | None = None
    sort: str = "title"
    limit: int = 20
    cursor: str | None = None


def encode_cursor(sort: str, entry: Document) -> str:
    """The kit's opaque cursor (parkgrid.paging), bound to the sort order it continues."""
    return encode(sort, entry[SORTS[sort][0]], entry["_id"])


def decode_cursor(sort: str, cursor: str) -> tuple[Any, str]:
    """(last sort value, last id); `parkgrid.paging.BadCursor` (422 on `cursor`) for another sort's or a forged one."""
    value, last_id = decode(sort, cursor)
    if not isinstance(value, str | datetime):  # a forged value must not become a query operator
        raise BadCursor("the cursor is not one this service gave")
    return value, last_id


def store_filter(search: Search) -> Document:
    """The part of a search the store evaluates: narrowing equalities first (top level)."""
    query: Document = {}
    if set(search.statuses) != set(OfferingStatus):
        if len(search.statuses) == 1:
            query["status"] = search.statuses[0].value
        else:
            query["status"] = {"$in": [s.value for s in search.statuses]}
    for field, value in (("site", search.site), ("category", search.category), ("mode", search.mode)):
        if value is not None:
            query[field] = value
    # A kind (or stage) filter and a member's eligibility may both narrow: both must hold.
    for kind in (search.member_kind, search.eligible_kind):
        if kind is not None:
            query[kind_field(kind)] = True
    for stage in (search.stage, search.eligible_stage):
        if stage is not None:
            query[stage_field(stage)] = True
    if search.eligible_kind is not None:  # a member's eligibility: its cohort is admitted too
        cohort = search.eligible_cohort
        query["cohorts"] = ANY_COHORT if cohort is None else {"$in": [ANY_COHORT, cohort]}
    if search.text:
        query["search_text"] = {"$regex": _escape(search.text.casefold())}
    if search.available_from is not None and search.available_to is not None:
        query["weekdays"] = {"$in": weekdays_between(search.available_from, search.available_to)}
    return query


_SPECIAL = set("\\.^$|?*+()[]{}-/")


def _escape(text: str) -> str:
    """Free text matches literally (the store's regex dialect is RE2-like)."""
    return "".join("\\" + c if c in _SPECIAL else c for c in text)


def kept(search: Search) -> Callable[[Document], bool]:
    """The part of a search checked in Python: closures covering every open day of the range."""
    first, last = search.available_from, search.available_to
    if first is None or last is None:
        return lambda entry: True

    def check(entry: Document) -> bool:
        closed: list[tuple[date, date]] = []
        for days in entry["closed"]:
            first_day, last_day = days.split("/")
            closed.append((date.fromisoformat(first_day), date.fromisoformat(last_day)))
        return open_on_some_day(entry["weekdays"], closed, first, last)

    return check


def _after(key: str, op: str, value: Any, last_id: str) -> Document:
    return {"$or": [{key: {op: value}}, {key: value, "_id": {op: last_id}}]}


async def find_entries(search_entries: Collection, search: Search) -> tuple[list[Document], str | None]:
    """One page of entries in sort order, and the cursor of the next page (None at the end)."""
    key, direction = SORTS[search.sort]
    after = "$gt" if direction == ASCENDING else "$lt"
    query = store_filter(search)
    position: tuple[Any, str] | None = decode_cursor(search.sort, search.cursor) if search.cursor else None
    keep = kept(search)
    batch = max(50, search.limit * 2) if search.available_from is not None else search.limit + 1
    fields = {"_id": 1, key: 1, "weekdays": 1, "closed": 1}
    page: list[Document] = []
    while True:
        paged = {**query, **_after(key, after, *position)} if position else query
        cursor = search_entries.find(paged, fields).sort([(key, direction), ("_id", direction)])
        entries = await cursor.limit(batch).to_list()
        for entry in entries:
            if keep(entry):
                page.append(entry)
                if len(page) > search.limit:
                    return page[: search.limit], encode_cursor(search.sort, page[search.limit - 1])
        if len(entries) < batch:
            return page, None
        position = (entries[-1][key], entries[-1]["_id"])


async def find(offerings: Collection, search_entries: Collection, search: Search) -> tuple[list[Document], str | None]:
    """One page of offering documents (outbox left out) and the next cursor."""
    entries, next_cursor = await find_entries(search_entries, search)
    if not entries:
        return [], next_cursor
    ids = [e["_id"] for e in entries]
    docs = {d["_id"]: d async for d in offerings.find({"_id": {"$in": ids}}, {"outbox": 0})}
    return [docs[i] for i in ids if i in docs], next_cursor
