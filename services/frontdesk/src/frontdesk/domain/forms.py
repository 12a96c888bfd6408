"""A service's refusal (problem+json) turned into messages next to the form fields.

Forms name their inputs like the services' fields (`starts_at`, `person_id`, `token`), so
a problem's `errors[].field` (or its `field`) lands next to the input that caused it;
anything else is shown at the top of the form.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FormErrors:
    """Messages per field name, and those that belong to the whole form."""

    fields: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def of(self, name: str) -> str | None:
        return self.fields.get(name)


def errors_from_problem(problem: Mapping[str, Any], form_fields: Iterable[str]) -> FormErrors:
    """Place each of the problem's messages next to the form's field it names, else on the form."""
    known = set(form_fields)
    result = FormErrors()
    entries: list[tuple[str | None, str]] = []
    for error in problem.get("errors") or []:
        if isinstance(error, Mapping):
            entries.append((error.get("field"), str(error.get("message") or problem.get("detail") or "")))
    if not entries:
        entries.append((problem.get("field"), str(problem.get("detail") or problem.get("title") or "")))
    for name, message in entries:
        placed = _field_named(name, known)
        if placed is not None and placed not in result.fields:
            result.fields[placed] = message
        elif message and message not in result.general:
            result.general.append(message)
    return result


def _field_named(name: str | None, known: set[str]) -> str | None:
    """`starts_at`, `body.starts_at` or `session.starts_at` all name the form's `starts_at`."""
    if not name:
        return None
    if name in known:
        return name
    last = name.split(".")[-1]
    return last if last in known else None
