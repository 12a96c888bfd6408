"""The insights HTTP API under /v1: the KPIs (JSON, CSV, one SVG chart per KPI), the audit trail,
webhooks and members' data exports."""

from __future__ import annotations

from insights.entrypoints.http import audit, exports, kpis, webhooks

routers = [kpis.router, audit.router, webhooks.router, exports.router]
