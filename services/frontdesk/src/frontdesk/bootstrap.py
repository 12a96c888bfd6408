"""Wires the web app: settings, the service clients, the live feed and its consumer, pages.

`uvicorn frontdesk.bootstrap:app` serves it on port 8000 (deploy/local/services.tsv).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from frontdesk.adapters.billing import Billing
from frontdesk.adapters.event_sites import EventSites
from frontdesk.adapters.insights import Insights
from frontdesk.adapters.known_members import MemberDirectory
from frontdesk.adapters.known_sites import SiteDirectory
from frontdesk.adapters.services import Bookings, Catalogue, Community, Services, Spaces
from frontdesk.entrypoints.consumers import member_subscription, site_subscription, subscriptions
from frontdesk.entrypoints.http import (
    dashboard,
    demo,
    exports,
    invoice_documents,
    live,
    member_bookings,
    member_home,
    member_invoices,
    member_room_check_in,
    member_visitors,
    series_book,
    series_pages,
    signin,
    staff_approval_decline,
    staff_approvals,
    staff_audit,
    staff_billing,
    staff_bookings,
    staff_credit_notes,
    staff_erasure,
    staff_events,
    staff_limits,
    staff_members,
    staff_registrations,
    staff_residencies,
    staff_rooms,
    staff_sites,
    staff_today,
    staff_visitors,
    staff_waitlist,
    staff_webhook_actions,
    staff_webhooks,
)
from frontdesk.entrypoints.http.pages import page, see_other
from frontdesk.entrypoints.http.token_refresh import TokenRefresh
from frontdesk.entrypoints.http.visitors import NotAllowed, SignInRequired
from frontdesk.service_layer.live import LiveFeed
from frontdesk.settings import FrontdeskSettings
from parkgrid.events import registry
from parkgrid.http.access import provide
from parkgrid.runtime import ServiceRuntime, create_app
from parkgrid.settings import KitSettings

HERE = Path(__file__).resolve().parent


def htmx_dir(settings: FrontdeskSettings) -> Path:
    """htmx comes from the npm registry (the repository's package.json), never copied into the code:
    the nearest `node_modules/htmx.org/dist` above this package, or FRONTDESK_HTMX_DIR."""
    if settings.htmx_dir:
        return Path(settings.htmx_dir)
    for parent in (HERE, *HERE.parents, Path.cwd()):
        candidate = parent / "node_modules" / "htmx.org" / "dist"
        if candidate.is_dir():
            return candidate
    return Path.cwd() / "node_modules" / "htmx.org" / "dist"


def build_services(
    settings: FrontdeskSettings, sites: SiteDirectory | None = None, members: MemberDirectory | None = None
) -> Services:
    timeout = settings.service_timeout
    return Services(
        catalogue=Catalogue("catalogue", settings.catalogue_url, timeout=timeout),
        bookings=Bookings("bookings", settings.bookings_url, timeout=timeout),
        spaces=Spaces("spaces", settings.spaces_url, timeout=timeout),
        community=Community("community", settings.community_url, timeout=timeout),
        default_time_zone=settings.default_time_zone,
        sites=sites,
        members=members,
    )


@dataclass
class Frontdesk:
    """The web app's parts: the runtime (store, consumer), the service clients, the live feed."""

    runtime: ServiceRuntime
    services: Services
    feed: LiveFeed


def build(settings: FrontdeskSettings) -> Frontdesk:
    runtime = ServiceRuntime(settings, registry=registry)
    feed = LiveFeed()
    runtime.subscribe(*subscriptions(settings, feed, EventSites(runtime.db["event_sites"])))
    sites = SiteDirectory(runtime.db["sites"])
    runtime.subscribe(site_subscription(sites))
    members = MemberDirectory(runtime.db["members"])
    runtime.subscribe(member_subscription(members))
    return Frontdesk(runtime, build_services(settings, sites, members), feed)


def build_app(settings: KitSettings | None = None) -> FastAPI:
    settings = FrontdeskSettings.of(settings)
    frontdesk = build(settings)
    services = frontdesk.services
    app = create_app(
        frontdesk.runtime,
        title="ParkGrid front desk",
        description="The web app of front-desk staff and members.",
        routers=[
            r.router
            for r in (
                signin,
                demo,
                staff_sites,
                staff_today,
                staff_events,
                staff_members,
                staff_bookings,
                staff_erasure,
                staff_registrations,
                staff_residencies,
                staff_waitlist,
                dashboard,
                live,
                member_home,
                member_bookings,
                series_book,
                series_pages,
                member_visitors,
                staff_visitors,
                staff_audit,
                staff_limits,
                staff_rooms,
                member_room_check_in,
                staff_approvals,
                staff_approval_decline,
                staff_webhook_actions,
                staff_webhooks,
                exports,
                staff_billing,
                staff_credit_notes,
                member_invoices,
                invoice_documents,
            )
        ],
    )
    insights = Insights("insights", settings.insights_url, timeout=settings.service_timeout)
    billing = Billing("billing", settings.billing_url, timeout=settings.service_timeout)
    provide(app, settings, services, frontdesk.feed, insights, billing)
    app.add_middleware(TokenRefresh)
    app.mount("/static/vendor", StaticFiles(directory=htmx_dir(settings), check_dir=False), name="vendor")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": "/sign-in"})
        return see_other("/sign-in")

    @app.exception_handler(NotAllowed)
    async def _not_allowed(request: Request, exc: NotAllowed) -> HTMLResponse:
        return page(request, "not_allowed.html", None, status_code=403, detail=exc.detail)

    started = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        async with started(application):
            try:
                yield
            finally:
                await services.close()
                await insights.close()
                await billing.close()
                oidc = getattr(application.state, "oidc_client", None)  # made at the first OIDC sign-in
                if oidc is not None:
                    await oidc.close()

    app.router.lifespan_context = lifespan
    return app


app = build_app()
