"""The gateway app: settings, routers, middleware and lifespan; nothing else.

Each domain is a package (analyses/, keys/, services/, health/, media/, web/) with its
own router and service; shared pieces (settings, database, errors, the container and the
dependencies that reach it) are in core/.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from starlette.middleware import Middleware

from dd_gateway import __version__
from dd_gateway.analyses.router import router as analyses_router
from dd_gateway.core.container import Container, container_of
from dd_gateway.core.openapi import complete_openapi
from dd_gateway.core.settings import GatewaySettings
from dd_gateway.health.router import router as health_router
from dd_gateway.services.router import router as services_router
from dd_gateway.web.headers import OperatorGuard, SecurityHeaders, forbidden
from dd_gateway.web.static import mount_dashboard
from dd_service_kit import base_app

DESCRIPTION = (
    "DeepfakeDetective: upload a photo, voice clip or video; get a verdict with calibrated "
    "probabilities and the evidence behind it."
)


def create_app(
    settings: GatewaySettings | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """`transport` lets tests route the gateway's outgoing calls to in-process apps."""
    settings = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        container = container_of(app)
        await container.start()
        try:
            yield
        finally:
            await container.stop()

    app = base_app(
        service="gateway",
        version=__version__,
        settings=settings,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    container = Container.build(settings, app.state.metrics, transport)
    app.state.container = container

    app.include_router(health_router)
    app.include_router(services_router)
    app.include_router(analyses_router)
    mount_dashboard(app, settings.static_dir)

    if settings.require_keys:

        def operator_check(token: str | None, admin_only: bool) -> None:
            viewer = container.authenticator.viewer(token)
            if admin_only and not viewer.admin:
                raise forbidden()

        _add_inside_request_id(app, Middleware(OperatorGuard, check=operator_check))
    _add_inside_request_id(app, Middleware(SecurityHeaders))
    complete_openapi(app)
    return app


def _add_inside_request_id(app: FastAPI, middleware: Middleware) -> None:
    """Just inside the service kit's RequestIdMiddleware (the outermost), so that our
    own error answers carry the request id like every other."""
    app.user_middleware.insert(1 if app.user_middleware else 0, middleware)
