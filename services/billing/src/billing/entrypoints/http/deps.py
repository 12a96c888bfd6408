"""What billing's routes are given: its parts, provided by `bootstrap.build_app` (parkgrid.http.access)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from billing.adapters.charges import Charges
from billing.adapters.invoices import Invoices
from billing.adapters.payments import Payments
from billing.service_layer.closing import Closing
from billing.service_layer.ledger import Ledger
from billing.service_layer.selling import PackSelling
from parkgrid.http.access import component
from parkgrid.known import KnownMembers

Books = Annotated[Ledger, component(Ledger)]
Selling = Annotated[PackSelling, component(PackSelling)]
Close = Annotated[Closing, component(Closing)]
ChargeStore = Annotated[Charges, component(Charges)]
InvoiceStore = Annotated[Invoices, component(Invoices)]
PaymentStore = Annotated[Payments, component(Payments)]
Members = Annotated[KnownMembers, component(KnownMembers)]

MAX_LIMIT = 100
Cursor = Annotated[str | None, Query(max_length=1000, description="The `next_cursor` of the page before.")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
