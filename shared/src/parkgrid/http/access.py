"""Who may call a route, as dependencies: role aliases and the site and member checks.

Routes declare their caller (`principal: Staff`) and ask `at_site` / `acts_for` before they
act, so the rules of DESIGN.md read the same in every service:
- a front desk acts at its own sites only; another site's things are not found (404) when
  reading them would reveal them, forbidden (403) when the caller named the site itself;
- a member acts only for their own organisation.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Request

from parkgrid.auth import Principal, Role, require_roles
from parkgrid.http.problems import Forbidden, NotFound

T = TypeVar("T")

Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
Staff = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.FRONT_DESK))]
Caller = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.FRONT_DESK, Role.MEMBER))]
"""A person: staff, or a member acting for their organisation."""
StaffOrService = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.FRONT_DESK, Role.SERVICE))]
"""Staff, or another system reading on their behalf (KPIs, reports)."""
CallerOrService = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.FRONT_DESK, Role.MEMBER, Role.SERVICE))]


def at_site(principal: Principal, site_id: str | None, *, hidden: bool = False, detail: str | None = None) -> None:
    """Refuse a front desk of another site: 404 when `hidden` (the site's data is not theirs to see), else 403.

    No site (an online event, a network-wide offering) is everyone's."""
    if site_id is not None and not principal.may_act_at_site(site_id):
        if hidden:
            raise NotFound(detail or f"there is no site {site_id}")
        raise Forbidden(detail or f"you do not work at {site_id}")


def acts_for(
    principal: Principal,
    member_id: str,
    detail: str = "members act only for their own organisation",
    field: str | None = None,
) -> None:
    """Refuse a member acting for another organisation (403, naming `field` when the body chose it)."""
    if not principal.may_act_for_member(member_id):
        raise Forbidden(detail, field=field)


def provide(app: FastAPI, *components: object) -> None:
    """Make these objects available to routes by their type (see `component`)."""
    registry: dict[type[Any], object] = getattr(app.state, "components", {})
    for part in components:
        registry[type(part)] = part
    app.state.components = registry


def component(kind: type[T]) -> Any:
    """A dependency answering the `kind` object `provide` registered: `Annotated[Inventory, component(Inventory)]`."""

    async def lookup(request: Request) -> T:  # async: a plain def would be run in the thread pool
        found: T = request.app.state.components[kind]
        return found

    return Depends(lookup)
