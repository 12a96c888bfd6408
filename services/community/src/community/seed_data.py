"""The demo community: 40 member organisations over the eight sites, and 12 community events.

The organisations and events themselves are data, in `seed_data.toml` beside this module;
here is only how a row becomes what the seed registers. Ids are stable (`member-<slug>`,
`person-<slug>-<n>`, `cevt-<slug>`) so other services' seeds and the demo logins can name
them.
"""

from __future__ import annotations

import tomllib
from importlib.resources import files
from typing import Any

from parkgrid.contracts.common import MemberKind, ProgrammeStage

_DEMO: dict[str, Any] = tomllib.loads(files("community").joinpath("seed_data.toml").read_text("utf-8"))

SITES: list[str] = _DEMO["sites"]


def person_id(slug: str, index: int) -> str:
    return f"person-{slug}-{index + 1}"


def _member(row: dict[str, Any]) -> dict[str, Any]:
    """A `[[member]]` row as a registration: its people get ids and emails at the organisation's domain."""
    slug = row["slug"]
    domain = slug.replace("-", "") + ".ma"
    return {
        "member_id": f"member-{slug}",
        "name": row["name"],
        "kind": MemberKind(row["kind"]),
        "sector": row["sector"],
        "home_site_id": row["site"],
        "stage": ProgrammeStage(row["stage"]),
        "cohort": row.get("cohort"),
        "started_on": row["started_on"],
        "people": [
            {
                "person_id": person_id(slug, i),
                "name": f"{p['first']} {p['last']}",
                "email": f"{p['first'].split()[-1].lower()}.{p['last'].split()[-1].lower()}@{domain}",
                "role": p["role"],
            }
            for i, p in enumerate(row["people"])
        ],
    }


def members() -> list[dict[str, Any]]:
    """Every demo organisation, in the table's order."""
    return [_member(row) for row in _DEMO["member"]]


def events() -> list[dict[str, Any]]:
    """Every `[[event]]` row, its named venue replaced by the requirement it stands for (None online)."""
    return [{**row, "venue": _DEMO["venues"][row["venue"]] if "venue" in row else None} for row in _DEMO["event"]]
