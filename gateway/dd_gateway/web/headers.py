"""Security headers on every HTML answer (the dashboard, the report), and the operator
routes (/metrics, /docs, /openapi.json) behind a key when keys are required.

Why a key and not an internal port: the gateway is one process behind one port in every
deployment we ship (compose publishes one port); a second listener would need its own
proxy rules to stay internal. An admin key is simple and works through any proxy.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dd_contracts.catalogue import ErrorType
from dd_gateway.core.errors import GatewayError
from dd_service_kit.errors import error_response

# The SPA and the report need inline styles; scripts only from this origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HTML_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}
# Swagger UI loads its script and styles from a CDN: it keeps FastAPI's own page, but
# still may not be framed.
_DOCS = ("/docs", "/redoc")
OPERATOR_PATHS = ("/metrics", "/docs", "/redoc", "/openapi.json")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"].startswith(_DOCS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = Headers(raw=message["headers"])
                if headers.get("content-type", "").startswith("text/html"):
                    extra = HTML_HEADERS
                    if docs:
                        extra = {"x-frame-options": "DENY", "x-content-type-options": "nosniff"}
                    message["headers"] = [
                        *message["headers"],
                        *((k.encode(), v.encode()) for k, v in extra.items() if k not in headers),
                    ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class OperatorGuard:
    """/metrics needs an admin key, /docs and /openapi.json any valid key, when keys are
    required. `check(token, admin)` raises GatewayError (401/403/429)."""

    def __init__(self, app: ASGIApp, check: Callable[[str | None, bool], None]) -> None:
        self.app = app
        self.check = check

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith(OPERATOR_PATHS):
            headers = Headers(scope=scope)
            auth = headers.get("authorization", "")
            token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
            token = token or headers.get("x-api-key")
            try:
                self.check(token, path.startswith("/metrics"))
            except GatewayError as exc:
                response = error_response(exc.status_code, exc.type, exc.detail, exc.headers)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def forbidden() -> GatewayError:
    return GatewayError.of(ErrorType.forbidden, "This needs an admin key.")
