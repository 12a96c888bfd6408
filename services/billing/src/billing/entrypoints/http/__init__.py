"""Billing's HTTP API under /v1, one router per feature: price lists, invoices, payments, accounts,
periods, and the payment gateway's notices."""

from __future__ import annotations

from billing.entrypoints.http import gateway, invoices, members, payments, periods, prices

routers = [prices.router, invoices.router, payments.router, members.router, periods.router, gateway.router]
