"""The billing API as the web app calls it, with the signed-in person's own token: a member
organisation's invoices and credit notes, payments, balance and billing profile; the printable
invoice (billing's HTML, relayed as it is); recording a payment and issuing a credit note with the
form's Idempotency-Key, so a double submit is one payment or one credit note at billing.

Billing decides who sees and does what (a front desk its own sites, a member its own account,
credit notes for admins only); a refusal is a `ServiceProblem`, billing down `Unavailable`, like
every other service client. Amounts stay integer minor units (centimes) here: the pages say them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from frontdesk.adapters.commands import command
from frontdesk.adapters.services import M, ServiceClient, Unavailable
from parkgrid.api.billing import (
    BalanceRead,
    BillingProfileRead,
    InvoiceRead,
    PackSaleRead,
    PaymentRead,
    PriceListsRead,
)


def _path_id(value: str) -> str:
    """An id as one path segment: invoice ids carry colons (kept), never a slash or a `..` step."""
    return quote(value, safe=":")


PAGE = 100
"""Items asked per page of billing's lists (its largest)."""
PAGES = 10
"""Pages read at most for one panel: an organisation's thousand latest invoices or payments."""


class Billing(ServiceClient):
    async def paged(self, model: type[M], path: str, token: str, **params: Any) -> list[M]:
        """The items of a paged list (`{items, next_cursor}`), newest first, the cursor followed for
        at most `PAGES` pages."""
        found: list[M] = []
        cursor: str | None = None
        for _ in range(PAGES):
            asked = {**params, "limit": PAGE, **({"cursor": cursor} if cursor else {})}
            answer = (await self.call("GET", path, token, params=asked)).json()
            items = answer.get("items") if isinstance(answer, dict) else None
            if not isinstance(items, list):
                raise Unavailable(self.name, f"an answer that is not a page of {model.__name__}")
            found += [self.parse(model, item, path) for item in items]
            cursor = answer.get("next_cursor")
            if not cursor:
                break
        return found

    async def listed(self, model: type[M], path: str, token: str, **params: Any) -> list[M]:
        """A JSON array answer, each item as its read model (anything else is billing breaking its contract)."""
        answer = (await self.call("GET", path, token, params=params)).json()
        if not isinstance(answer, list):
            raise Unavailable(self.name, f"an answer that is not a list of {model.__name__}")
        return [self.parse(model, item, path) for item in answer]

    async def invoices(self, token: str, member_id: str, site_id: str | None = None) -> list[InvoiceRead]:
        """The organisation's invoices and credit notes the caller may see (at `site_id` if given), newest first."""
        return await self.paged(InvoiceRead, "/v1/invoices", token, member_id=member_id, site_id=site_id)

    async def invoice(self, token: str, invoice_id: str) -> InvoiceRead:
        return await self.read(InvoiceRead, f"/v1/invoices/{_path_id(invoice_id)}", token)

    async def document(self, token: str, invoice_id: str) -> str:
        """The printable invoice: billing's HTML page in its customer's language."""
        return (await self.call("GET", f"/v1/invoices/{_path_id(invoice_id)}/document", token)).text

    async def pdf(self, token: str, invoice_id: str) -> tuple[bytes, str]:
        """The invoice as PDF and the file name billing gives it (`<number>.pdf`)."""
        answer = await self.call("GET", f"/v1/invoices/{_path_id(invoice_id)}/document.pdf", token)
        if not answer.headers.get("content-type", "").startswith("application/pdf"):
            raise Unavailable(self.name, "an answer that is not a PDF")
        found = re.search(r'filename="([^"/\\]+)"', answer.headers.get("content-disposition", ""))
        return answer.content, found.group(1) if found else "invoice.pdf"

    async def payments(self, token: str, member_id: str) -> list[PaymentRead]:
        return await self.paged(PaymentRead, "/v1/payments", token, member_id=member_id)

    async def balance(self, token: str, member_id: str, site_id: str | None = None) -> BalanceRead:
        """At one site (a front desk must name one), or across the network (an admin, the member)."""
        path = f"/v1/members/{_path_id(member_id)}/balance"
        return await self.read(BalanceRead, path, token, site_id=site_id)

    async def profile(self, token: str, member_id: str) -> BillingProfileRead:
        return await self.read(BillingProfileRead, f"/v1/members/{_path_id(member_id)}/billing-profile", token)

    async def keep_profile(self, token: str, member_id: str, body: Mapping[str, Any]) -> BillingProfileRead:
        """The details the next invoices are addressed with (the member's home site's staff and admins)."""
        path = f"/v1/members/{_path_id(member_id)}/billing-profile"
        return self.parse(BillingProfileRead, (await self.call("PUT", path, token, body=body)).json(), path)

    async def record_payment(self, token: str, body: Mapping[str, Any], key: str | None) -> PaymentRead:
        """A payment received at the desk; 409 when it is more than its invoice has left to pay."""
        path = "/v1/payments"
        return self.parse(PaymentRead, await command(self, path, token, body, key), path)

    async def credit_note(
        self, token: str, invoice_id: str, charge_ids: list[str] | None, key: str | None
    ) -> InvoiceRead:
        """A credit note taking back the invoice's `charge_ids` (None: every line not taken back yet); admins only."""
        path = f"/v1/invoices/{_path_id(invoice_id)}/credit-notes"
        return self.parse(InvoiceRead, await command(self, path, token, {"charge_ids": charge_ids}, key), path)

    async def credit_packs(self, token: str, member_id: str, site_id: str | None = None) -> list[PackSaleRead]:
        """The organisation's packs of room hours (at `site_id` if given) and the minutes each has left."""
        return await self.listed(
            PackSaleRead, f"/v1/members/{_path_id(member_id)}/credit-packs", token, site_id=site_id
        )

    async def price_lists(self, token: str, site_id: str) -> PriceListsRead:
        """The site's prices, among them the credit packs its desk sells."""
        return await self.read(PriceListsRead, f"/v1/price-lists/{_path_id(site_id)}", token)

    async def sell_pack(self, token: str, member_id: str, body: Mapping[str, Any], key: str | None) -> PackSaleRead:
        """A pack of the site's price list sold to the organisation (once per form)."""
        path = f"/v1/members/{_path_id(member_id)}/credit-packs"
        return self.parse(PackSaleRead, await command(self, path, token, body, key), path)
