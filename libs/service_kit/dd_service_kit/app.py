"""The common skeleton of every app: logging, request ids, errors, metrics, /healthz."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI

from dd_contracts import Health
from dd_service_kit.errors import install_error_handlers
from dd_service_kit.logging import configure_logging
from dd_service_kit.metrics import Metrics, install_metrics
from dd_service_kit.request_id import RequestIdMiddleware
from dd_service_kit.settings import AppSettings

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]] | None


def base_app(
    *,
    service: str,
    version: str,
    settings: AppSettings,
    description: str,
    lifespan: Lifespan = None,
) -> FastAPI:
    configure_logging(service, settings.log_level, settings.json_logs)
    app = FastAPI(title=service, version=version, description=description, lifespan=lifespan)
    metrics = Metrics(service)
    app.state.metrics = metrics
    app.state.settings = settings
    install_error_handlers(app)
    install_metrics(app, metrics)
    # Added last so it runs first: every log line and error body below sees the id.
    app.add_middleware(RequestIdMiddleware)

    @app.get("/healthz", response_model=Health, operation_id="healthz", tags=["ops"])
    def healthz() -> Health:
        """Alive: the process answers. Says nothing about models (see /readyz)."""
        return Health(service=service, version=version)

    return app
