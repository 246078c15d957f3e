"""`python -m dd_gateway`: serve the gateway with uvicorn.

Without API keys (GATEWAY_REQUIRE_KEYS unset) the gateway is single-user: it should
listen on loopback only. It says so at start-up, and warns loudly (rather than refusing
to start) when bound elsewhere, because the Docker image binds 0.0.0.0 inside its
container and publishes the port on the host's loopback only.

uvicorn's limits (header size, keep-alive): see server.py.
"""

import logging

from dd_gateway.app import create_app
from dd_gateway.core.settings import GatewaySettings
from dd_gateway.server import serve

LOOPBACK = ("127.0.0.1", "localhost", "::1")

settings = GatewaySettings()
app = create_app(settings)
log = logging.getLogger("dd_gateway")
if settings.require_keys:
    log.info("API keys required on every /v1 call", extra={"host": settings.host})
elif settings.host in LOOPBACK:
    log.info(
        "local single-user mode: no API keys, listening on loopback only",
        extra={"host": settings.host},
    )
else:
    log.warning(
        "NO API KEYS and bound to a non-loopback address: anyone who can reach this port "
        "can use the gateway. Set GATEWAY_REQUIRE_KEYS=true (keys: python -m "
        "dd_gateway.keys create NAME) or bind to 127.0.0.1.",
        extra={"host": settings.host},
    )
serve(app, settings)
