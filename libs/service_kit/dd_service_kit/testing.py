"""Helpers for tests that run several of our apps in one process."""

from __future__ import annotations

import threading
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


def free_port_block(count: int = 5, start: int = 18000, stop: int = 40000) -> int:
    """The first port of `count` consecutive free loopback ports, so a stack started for a
    test or a benchmark does not disturb one a developer is running."""
    import socket

    for base in range(start, stop, 10):
        try:
            for offset in range(count):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", base + offset))
        except OSError:
            continue
        return base
    raise RuntimeError(f"no {count} consecutive free ports in {start}..{stop}")


class PeakRss:
    """Samples a process's resident memory in a thread; `peak - idle` is what a workload
    added. Needs psutil (a test/bench dependency, imported only here)."""

    def __init__(self, pid: int, interval_s: float = 0.005) -> None:
        import psutil

        self.process = psutil.Process(pid)
        self.idle = self.peak = int(self.process.memory_info().rss)
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.peak = max(self.peak, int(self.process.memory_info().rss))

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
