"""The insights HTTP API under /v1: the KPIs (JSON, CSV, one SVG chart per KPI)."""

from __future__ import annotations

from insights.entrypoints.http import kpis

routers = [kpis.router]
