"""Helpers for tests that run several of our apps in one process."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI


class HostRouter(httpx.AsyncBaseTransport):
    """Routes each request to the in-process ASGI app registered for its host:port."""

    def __init__(self, apps: dict[str, FastAPI]) -> None:
        self._transports = {
            urlsplit(url).netloc: httpx.ASGITransport(app=app) for url, app in apps.items()
        }

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        netloc = request.url.netloc.decode()
        transport = self._transports.get(netloc)
        if transport is None:
            raise httpx.ConnectError(f"nothing listens at {netloc}", request=request)
        return await transport.handle_async_request(request)
