"""Who may call a route, as dependencies: role aliases and the site and member checks.

Routes declare their caller (`principal: Staff`) and ask `at_site` / `acts_for` before they
act, so the rules of DESIGN.md read the same in every service:
- a front desk acts at its own sites only; another site's things are not found (404) when
  reading them would reveal them, forbidden (403) when the caller named the site itself;
- a member acts only for their own organisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Request

from parkgrid.auth import Principal, Role, authenticated, require_roles
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


@dataclass(frozen=True)
class Scope:
    """What a caller may see of the park's private data, the one rule every service reads by.

    Admins and service accounts see everything; a front desk sees what is at its own sites;
    a member sees what belongs to its own organisation. What the caller may not see does not
    exist for them (404, DESIGN.md), and lists are narrowed to it (`query`).
    """

    principal: Principal

    @property
    def sites(self) -> frozenset[str] | None:
        """The sites a front desk is limited to; None for a caller not limited by site."""
        return frozenset(self.principal.sites) if self.principal.role == Role.FRONT_DESK else None

    def sees(self, *, site_id: str | None = None, member_id: str | None = None) -> bool:
        """Whether a thing at `site_id` (if it has one) belonging to `member_id` (if any) is the caller's to see."""
        role = self.principal.role
        if role in (Role.ADMIN, Role.SERVICE):
            return True
        if role == Role.FRONT_DESK:
            return site_id is not None and site_id in self.principal.sites
        return member_id is not None and member_id == self.principal.member_id

    def require(self, what: str, *, site_id: str | None = None, member_id: str | None = None) -> None:
        """404 `there is no <what>` unless the caller sees it."""
        if not self.sees(site_id=site_id, member_id=member_id):
            raise NotFound(f"there is no {what}")

    def query(self, *, site_field: str | None = "site_id", member_field: str | None = "member_id") -> dict[str, Any]:
        """A store filter narrowing a list to what the caller sees (a field None: that side cannot match)."""
        role = self.principal.role
        if role in (Role.ADMIN, Role.SERVICE):
            return {}
        if role == Role.FRONT_DESK:
            return {site_field: {"$in": list(self.principal.sites)}} if site_field else {"_id": {"$in": []}}
        return {member_field: self.principal.member_id} if member_field else {"_id": {"$in": []}}


async def scope_of(request: Request) -> Scope:
    return Scope(await authenticated(request))


Scoped = Annotated[Scope, Depends(scope_of)]
"""The caller's scope, as a dependency: `scope: Scoped`."""


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
