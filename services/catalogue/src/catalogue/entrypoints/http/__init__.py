"""The catalogue's HTTP API under /v1, one router per feature: offerings (write and read one), search."""

from __future__ import annotations

from catalogue.entrypoints.http import offerings, search

routers = [offerings.router, search.router]
