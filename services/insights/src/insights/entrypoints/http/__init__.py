"""The insights HTTP API under /v1: the KPIs (JSON, CSV, one SVG chart per KPI) and the audit trail."""

from __future__ import annotations

from insights.entrypoints.http import audit, kpis

routers = [kpis.router, audit.router]
