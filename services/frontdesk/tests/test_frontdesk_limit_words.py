"""The limits' words and form, without a browser: the admin's rows read back into rules (removed
and blank rows left out), bookings' field errors placed on their row, a `limit_reached` refusal and
a member's usage said in French, English and Arabic."""

from __future__ import annotations

from types import SimpleNamespace

from frontdesk.adapters.services import ServiceProblem
from frontdesk.domain.limits import limit_refusal, rule_errors, rules_from_form, usage_words
from frontdesk.domain.messages import translator
from frontdesk.entrypoints.http.staff_forms import refusal

ROW = {"measure": "room_hours", "category": "meeting_room", "period": "week"}


def form(*rows: dict[str, str]) -> dict[str, str]:
    fields = {f"rule-{i}-{name}": value for i, row in enumerate(rows) for name, value in row.items()}
    return {"rows": str(len(rows)), **fields}


def test_the_rows_become_rules_without_the_removed_and_the_blank_one() -> None:
    kept = {"rule_id": "r-1", "stage": "pre_incubation", "max": "6", **ROW}
    removed = {"rule_id": "r-2", "max": "3", "remove": "1", **ROW}
    new = {"rule_id": "", "member_kind": "tpe", "max": "4", **ROW, "measure": "sessions", "period": "month"}
    blank = {"rule_id": "", "max": "", **ROW}
    rules = rules_from_form(form(kept, removed, new, blank))
    assert [r["max"] for r in rules] == [6, 4]
    assert rules[0] == {"rule_id": "r-1", "member_kind": None, "stage": "pre_incubation", "max": 6, **ROW}
    assert rules[1]["rule_id"].startswith("rule-")
    assert (rules[1]["member_kind"], rules[1]["measure"], rules[1]["period"]) == ("tpe", "sessions", "month")
    assert rules_from_form(form({"rule_id": "", "max": "x", **ROW}))[0]["max"] == "x"  # bookings says why


def test_bookings_errors_land_on_their_row_and_field() -> None:
    rules = [{"max": 0}, {"max": 2}]
    problem = {
        "detail": "invalid",
        "errors": [
            {"field": "body.rules.0.max", "message": "Input should be greater than or equal to 1"},
            {"field": "rules", "message": "each rule needs its own rule_id"},
        ],
    }
    errors = rule_errors(problem, rules, translator("en"))
    assert errors.of("rule-0-max") == "Value refused: Input should be greater than or equal to 1"
    assert errors.general == ["each rule needs its own rule_id"]


def test_a_limit_reached_is_said_in_the_persons_language() -> None:
    problem = {
        "reason": "limit_reached",
        "limit": {"measure": "room_hours", "period": "week", "category": "meeting_room", "max": 6, "used": "5.5"}
        | {"needed": "1"},
    }
    assert limit_refusal(problem, translator("en")) == (
        "Limit reached: 5.5 of 6 room hours already booked this week (Meeting room); this slot needs 1."
    )
    assert "5.5 sur 6 heures de salle" in str(limit_refusal(problem, translator("fr")))
    assert "5.5 من 6" in str(limit_refusal(problem, translator("ar")))
    assert limit_refusal({"detail": "the session is full"}, translator("en")) is None


def test_a_members_usage_in_words() -> None:
    rule = SimpleNamespace(measure="sessions", period="month", category="mentoring", max=4)
    item = SimpleNamespace(rule=rule, used=3.0)
    assert usage_words(item, translator("en")) == "3 of 4 sessions this month (Mentoring)"
    assert usage_words(item, translator("fr")).startswith("3 sur 4 séances ce mois-ci")


def test_a_staff_form_says_a_members_limit_in_the_desks_language() -> None:
    limit = {"measure": "sessions", "period": "month", "category": "mentoring", "max": 4, "used": "4", "needed": "1"}
    body = {"detail": "limit reached: ...", "errors": [{"field": "starts_at", "message": "limit reached: ..."}]}
    problem = ServiceProblem("bookings", 409, {**body, "reason": "limit_reached", "limit": limit})
    desk = SimpleNamespace(t=translator("fr"))
    assert refusal(problem, desk, ["starts_at"]) == (  # type: ignore[arg-type]
        "starts_at",
        "Limite atteinte : 4 sur 4 séances déjà réservées ce mois-ci (Mentorat).",
    )
    full = ServiceProblem("bookings", 409, {"detail": "the session is full"})
    assert refusal(full, desk, ["starts_at"]) == (None, "the session is full")  # type: ignore[arg-type]
