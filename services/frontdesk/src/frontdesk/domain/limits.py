"""Per-period limits per plan in the web app's words: the admin's form of a site's rules read back
into the rules bookings takes, bookings' refusals placed next to the row and field they name, a
member's usage ("3 of 4 room hours this week") and a `limit_reached` refusal said in the person's
language instead of bookings' English detail."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from frontdesk.domain.forms import FormErrors
from frontdesk.domain.messages import Translate
from parkgrid.contracts.catalogue import OfferingCategory
from parkgrid.contracts.common import MemberKind, ProgrammeStage

MEASURES = ("room_hours", "sessions")
PERIODS = ("week", "month")
KINDS = tuple(k.value for k in MemberKind)
STAGES = tuple(s.value for s in ProgrammeStage)
CATEGORIES = tuple(c.value for c in OfferingCategory)
RULE_FIELDS = ("member_kind", "stage", "measure", "category", "period", "max")
MAX_ROWS = 50
_RULE_ERROR = re.compile(r"rules\.(\d+)\.([a-z_]+)")


def rules_from_form(form: Mapping[str, str]) -> list[dict[str, Any]]:
    """The rules the form's rows hold (`rule-<i>-<field>`), without the rows marked for removal and
    the blank row left empty; a new row gets an id of its own. `max` is sent as typed, so bookings
    says what is wrong with it."""
    rules: list[dict[str, Any]] = []
    for i in range(min(int(form.get("rows") or 0), MAX_ROWS)):
        row = {name: (form.get(f"rule-{i}-{name}") or "").strip() for name in ("rule_id", *RULE_FIELDS)}
        if form.get(f"rule-{i}-remove") or (not row["rule_id"] and not row["max"]):
            continue
        maximum: Any = int(row["max"]) if row["max"].isdigit() else row["max"]
        rules.append(
            {
                "rule_id": row["rule_id"] or f"rule-{uuid.uuid4().hex[:8]}",
                "member_kind": row["member_kind"] or None,
                "stage": row["stage"] or None,
                "measure": row["measure"],
                "category": row["category"],
                "period": row["period"],
                "max": maximum,
            }
        )
    return rules


def rows_of(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows the form shows: each rule, then a blank one to add a rule."""
    blank = {"rule_id": "", "member_kind": None, "stage": None, "measure": "room_hours"}
    return [*rules, {**blank, "category": "meeting_room", "period": "week", "max": ""}]


def rule_errors(problem: Mapping[str, Any], rules: list[dict[str, Any]], t: Translate) -> FormErrors:
    """Bookings' refusal of the rules, each message next to the row's field it names
    (`body.rules.2.max` → `rule-2-max`, the row as the form numbered it); the rest on the form."""
    errors = FormErrors()
    for error in problem.get("errors") or []:
        found = _RULE_ERROR.search(str(error.get("field") or ""))
        if found and int(found.group(1)) < len(rules) and found.group(2) in RULE_FIELDS:
            errors.fields[f"rule-{found.group(1)}-{found.group(2)}"] = t("limits.invalid", detail=error.get("message"))
        else:
            errors.general.append(str(error.get("message") or problem.get("detail")))
    if not errors:
        errors.general.append(str(problem.get("detail") or ""))
    return errors


def amount(value: float) -> str:
    """Hours or sessions as people write them: 3, 1.5."""
    return f"{value:g}"


def usage_words(item: Any, t: Translate) -> str:
    """One rule's usage this period: "3 of 4 room hours of Meeting room this week"."""
    rule = item.rule
    return t(
        f"limits.usage.{rule.measure}.{rule.period}",
        used=amount(item.used),
        max=rule.max,
        category=t(f"portal.category.{rule.category}"),
    )


def limit_refusal(problem: Mapping[str, Any], t: Translate) -> str | None:
    """A `limit_reached` refusal in the person's language; None for any other refusal."""
    limit = problem.get("limit")
    if problem.get("reason") != "limit_reached" or not isinstance(limit, Mapping):
        return None
    measure = limit.get("measure") if limit.get("measure") in MEASURES else "sessions"
    period = limit.get("period") if limit.get("period") in PERIODS else "week"
    return t(
        f"limits.reached.{measure}.{period}",
        used=limit.get("used"),
        max=limit.get("max"),
        needed=limit.get("needed"),
        category=t(f"portal.category.{limit.get('category')}"),
    )
