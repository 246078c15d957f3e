import logging

import uvicorn

from dd_gateway.app import create_app
from dd_gateway.settings import GatewaySettings

settings = GatewaySettings()
app = create_app(settings)
if settings.host not in ("127.0.0.1", "localhost", "::1"):
    logging.getLogger("dd_gateway").warning(
        "gateway bound to a non-loopback address without API keys", extra={"host": settings.host}
    )
uvicorn.run(app, host=settings.host, port=settings.port, log_config=None)
