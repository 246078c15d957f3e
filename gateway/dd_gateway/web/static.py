"""The built dashboard (frontend/dist) at /: hashed assets cached forever, index.html
never cached, and index.html for any other GET that is not an API or operator path (the
SPA routes on the client)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response

from dd_gateway.core.errors import not_found

IMMUTABLE = "public, max-age=31536000, immutable"
NOT_SPA = ("/v1", "/docs", "/redoc", "/openapi.json", "/healthz", "/readyz", "/metrics")


def mount_dashboard(app: FastAPI, root: Path) -> bool:
    index = root / "index.html"
    if not index.is_file():
        return False
    root = root.resolve()

    @app.get("/assets/{path:path}", include_in_schema=False)
    def asset(path: str) -> Response:
        target = (root / "assets" / path).resolve()
        if not target.is_file() or not target.is_relative_to(root / "assets"):
            raise not_found("No such file.")
        return FileResponse(target, headers={"Cache-Control": IMMUTABLE})

    @app.get("/{path:path}", include_in_schema=False)
    def spa(path: str, request: Request) -> Response:
        if request.url.path.startswith(NOT_SPA):
            raise not_found("Not found.")
        target = (root / path).resolve() if path else index
        if path and target.is_file() and target.is_relative_to(root) and target != index:
            # Top-level files (favicon, robots.txt): cacheable, but not immutable.
            return FileResponse(target, headers={"Cache-Control": "public, max-age=3600"})
        return FileResponse(index, media_type="text/html", headers={"Cache-Control": "no-cache"})

    return True
