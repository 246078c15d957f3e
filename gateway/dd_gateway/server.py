"""How uvicorn serves the gateway (python -m dd_gateway, and test stacks).

The h11 parser is chosen explicitly: httptools (uvicorn's default when installed) has no
header size limit at all. `h11_max_incomplete_event_size` caps the request line plus headers
(GATEWAY_MAX_HEADER_BYTES, default 64 KiB): a bigger header block is refused by the
server before any of our code runs. `timeout_keep_alive` closes idle keep-alive
connections (GATEWAY_KEEP_ALIVE_S). Body read time is bounded by the reverse proxy in
front (it should also cap header size); uvicorn has no per-request read deadline.
"""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from dd_gateway.core.settings import GatewaySettings


def serve(app: FastAPI, settings: GatewaySettings, **overrides: object) -> None:
    options: dict[str, object] = {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,
        "http": "h11",
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "timeout_keep_alive": max(1, round(settings.keep_alive_s)),
        **overrides,
    }
    uvicorn.run(app, **options)  # type: ignore[arg-type]
