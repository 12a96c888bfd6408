"""A member organisation's account: its charges, its balance, and the billing profile its invoices
are addressed with (ICE, legal name, address, language; kept by staff)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query

from billing.entrypoints.http.deps import Books, ChargeStore, Cursor, Limit, Members, Selling
from billing.views import balance_read, charge_read, pack_sale_read
from parkgrid.api.billing import (
    BalanceRead,
    BillingProfileIn,
    BillingProfileRead,
    ChargePage,
    PackSaleIn,
    PackSaleRead,
)
from parkgrid.auth import Role
from parkgrid.clock import utc_now
from parkgrid.contracts.billing import ChargeStatus
from parkgrid.http.access import Scoped, Staff, acts_for, at_site
from parkgrid.http.idempotency import command_id
from parkgrid.http.problems import Forbidden, InvalidInput, problems
from parkgrid.known import KnownMembers

router = APIRouter(prefix="/v1", tags=["accounts"])


@router.get("/charges", response_model=ChargePage, responses=problems(422))
async def charges(
    scope: Scoped,
    store: ChargeStore,
    member_id: Annotated[str | None, Query(max_length=100)] = None,
    status: ChargeStatus | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> ChargePage:
    """Charges the caller may see (a member: its own; a desk: its sites'), newest first."""
    found, following = await store.page(
        scope.query(), member_id=member_id, status=status.value if status else None, limit=limit, cursor=cursor
    )
    return ChargePage(items=[charge_read(c) for c in found], next_cursor=following)


@router.get("/members/{member_id}/balance", response_model=BalanceRead, responses=problems(403, 404))
async def balance(
    member_id: str, scope: Scoped, books: Books, site_id: Annotated[str | None, Query(max_length=100)] = None
) -> BalanceRead:
    """Invoiced less credited less paid, at one site or (admins, the member) across the network."""
    principal = scope.principal
    acts_for(principal, member_id)
    if site_id is not None:
        at_site(principal, site_id, hidden=True)
    elif scope.sites is not None:
        raise InvalidInput("a front desk names the site whose balance it reads", field="site_id")
    return balance_read(member_id, site_id, await books.balance(member_id, site_id, utc_now().date()))


async def home_site(members: KnownMembers, member_id: str) -> str | None:
    """The member's home site, as community said (None: billing has not heard of the member)."""
    doc = await members.get(member_id)
    return None if doc is None else str(doc["home_site_id"])


@router.get("/members/{member_id}/billing-profile", response_model=BillingProfileRead, responses=problems(404))
async def billing_profile(member_id: str, scope: Scoped, books: Books, members: Members) -> BillingProfileRead:
    """The organisation's own, its home site's staff and admins read it (others: 404)."""
    scope.require(f"billing profile of {member_id}", site_id=await home_site(members, member_id), member_id=member_id)
    found = await books.profiles.get(member_id) or {}
    return BillingProfileRead.model_validate({"member_id": member_id, **{k: v for k, v in found.items() if k != "_id"}})


@router.put("/members/{member_id}/billing-profile", response_model=BillingProfileRead, responses=problems(403))
async def set_billing_profile(
    member_id: str, body: BillingProfileIn, principal: Staff, books: Books, members: Members
) -> BillingProfileRead:
    """Admins and the member's home site's staff keep the details invoices are addressed with; the
    next invoice uses them."""
    site = await home_site(members, member_id)
    if principal.role == Role.FRONT_DESK and (site is None or not principal.may_act_at_site(site)):
        raise Forbidden("the staff of the member's home site keep its billing profile", field="member_id")
    saved = await books.set_profile(member_id, body.model_dump(mode="json"))
    return BillingProfileRead.model_validate({"member_id": member_id, **{k: v for k, v in saved.items() if k != "_id"}})


@router.post(
    "/members/{member_id}/credit-packs", status_code=201, response_model=PackSaleRead, responses=problems(403, 404, 422)
)
async def sell_credit_pack(
    member_id: str,
    body: PackSaleIn,
    principal: Staff,
    selling: Selling,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> PackSaleRead:
    """Sell one of the site's credit packs to the organisation today: its hours are usable at once,
    its charge goes on this month's invoice. The same Idempotency-Key sells it once."""
    at_site(principal, body.site_id)
    sale = await selling.sell(
        sale_id="pack-" + command_id(f"billing.pack:{principal.subject}", idempotency_key),
        member_id=member_id,
        site_id=body.site_id,
        code=body.code,
        on=utc_now().date(),
        by=principal.subject,
    )
    found = await selling.packs.get(sale.sale_id)
    return pack_sale_read(sale, found[1] if found else 0)


@router.get("/members/{member_id}/credit-packs", response_model=list[PackSaleRead], responses=problems(403, 404))
async def credit_packs(
    member_id: str, scope: Scoped, selling: Selling, site_id: Annotated[str | None, Query(max_length=100)] = None
) -> list[PackSaleRead]:
    """The organisation's packs and the hours each has left, newest first (a member: its own; a
    desk: at its sites; admins: all)."""
    principal = scope.principal
    acts_for(principal, member_id)
    if site_id is not None:
        at_site(principal, site_id, hidden=True)
    sales = await selling.packs.of_member(member_id, site_id)
    return [pack_sale_read(sale, used) for sale, used in sales if scope.sites is None or sale.site_id in scope.sites]
