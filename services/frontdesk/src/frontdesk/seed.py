"""The web app has no data of its own to seed; it prints where to go and the demo logins.

`parkgrid seed` shows this summary after the services' own, so `make run` ends with the
web app's address and two links that sign a demo front-desk user and a demo member in.
"""

from __future__ import annotations

import os


async def seed() -> str:
    base = os.environ.get("FRONTDESK_PUBLIC_URL") or f"http://127.0.0.1:{os.environ.get('FRONTDESK_PORT', '8000')}"
    return (
        f"web app {base}/\n"
        f"  front desk (Casablanca): {base}/sign-in/demo?role=front_desk&site_id=site-casablanca\n"
        f"  member (first demo member): {base}/sign-in/demo?role=member"
    )
