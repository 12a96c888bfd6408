"""Pages that survive a service being down: each panel and each form's command is one service
call whose failure becomes a notice on the page, never an error page."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from frontdesk.adapters.services import ServiceProblem, Unavailable
from frontdesk.domain.forms import FormErrors, errors_from_problem
from frontdesk.entrypoints.http.visitors import Visitor

T = TypeVar("T")
U = TypeVar("U")


@dataclass
class Panel(Generic[T]):
    """A part of a page fed by one service: its data, or why it has none."""

    data: T | None = None
    unavailable: str | None = None
    problem: ServiceProblem | None = None

    @property
    def ok(self) -> bool:
        return self.data is not None

    def map(self, convert: Callable[[T], U]) -> Panel[U]:
        """The same panel with its data converted (or the same notice)."""
        if self.data is None:
            return Panel(unavailable=self.unavailable, problem=self.problem)
        return Panel(data=convert(self.data))


async def attempt(call: Awaitable[T]) -> Panel[T]:
    """Run one service call; a service down or refusing becomes the panel's notice, not an error page."""
    try:
        return Panel(data=await call)
    except Unavailable as exc:
        return Panel(unavailable=exc.service)
    except ServiceProblem as exc:
        return Panel(problem=exc)


async def gather(*calls: Awaitable[Any]) -> list[Panel[Any]]:
    return list(await asyncio.gather(*(attempt(c) for c in calls)))


async def notice_after(call: Awaitable[object], visitor: Visitor, done: str) -> str:
    """The line to show after a command: `done`, the service's refusal, or that it did not answer."""
    try:
        await call
    except ServiceProblem as exc:
        return exc.detail
    except Unavailable as exc:
        return visitor.t("unavailable", service=exc.service)
    return done


@dataclass
class Submitted(Generic[T]):
    """What a form's command came to: the service's answer, or the errors to show with the form
    again and the page's status (422 refused, 503 not answering)."""

    answer: T | None = None
    errors: FormErrors | None = None
    status: int = 200
    conflict: str | None = None
    """The detail of a 409 (the state forbids it: already done, not yet open), for a flash line."""


async def submitted(call: Awaitable[T], visitor: Visitor, fields: list[str]) -> Submitted[T]:
    """Run a form's command; a refusal lands next to the `fields` it names, a service down on the form."""
    try:
        return Submitted(answer=await call)
    except ServiceProblem as exc:
        conflict = exc.detail if exc.status == 409 else None
        return Submitted(errors=problem_errors(exc, fields), status=422, conflict=conflict)
    except Unavailable as exc:
        return Submitted(errors=FormErrors(general=[visitor.t("unavailable", service=exc.service)]), status=503)


def problem_errors(problem: ServiceProblem, fields: Mapping[str, Any] | list[str]) -> FormErrors:
    errors = errors_from_problem(problem.problem, list(fields))
    if not errors:
        errors.general.append(problem.detail)
    return errors
