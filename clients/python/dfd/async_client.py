"""The asyncio twin of `Client`: the same methods, awaited."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx

from dd_contracts import Analysis, AnalysisAccepted, ServiceStatus
from dd_contracts.analysis import AnalysisEvent
from dfd._common import (
    DEFAULT_URL,
    FINISHED,
    NO_STREAM_STATUSES,
    ClientOptions,
    EventFn,
    ReportFormat,
    UploadMeter,
    UploadProgressFn,
    log_retry,
    raise_for_error,
    submitted,
)
from dfd.errors import ApiError, ConnectionFailed, parse
from dfd.history import AnalysisPage, page_from_response
from dfd.retry import RETRY_EXCEPTIONS, RETRY_STATUSES, RetryPolicy
from dfd.sse import TERMINAL, aparse_events
from dfd.upload import MultipartFile


class AsyncClient:
    """See `Client`; every method is a coroutine (`events` an async iterator)."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        api_key: str | None = None,
        *,
        timeout_s: float = 60.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        max_connections: int = 32,
    ) -> None:
        self.options = ClientOptions(url.rstrip("/"), api_key, timeout_s, retry or RetryPolicy())
        self._http = httpx.AsyncClient(
            base_url=self.options.url,
            headers=self.options.headers(),
            timeout=self.options.timeout(),
            transport=transport,
            limits=httpx.Limits(max_connections=max_connections),
        )

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Callable[[], tuple[dict[str, str], AsyncIterator[bytes]]] | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        policy = self.options.retry
        for attempt in range(policy.attempts):
            last = attempt + 1 >= policy.attempts
            headers, content = body() if body else ({}, None)
            request = self._http.build_request(
                method, path, params=params, headers=headers, content=content
            )
            try:
                response = await self._http.send(request, stream=stream)
            except RETRY_EXCEPTIONS as exc:
                if last:
                    raise ConnectionFailed(f"cannot reach {self.options.url}: {exc}") from exc
                delay = policy.backoff(attempt)
                log_retry(f"cannot reach {self.options.url}", delay, attempt)
                await asyncio.sleep(delay)
                continue
            except httpx.TransportError as exc:
                raise ConnectionFailed(f"{method} {path} failed: {exc!r}") from exc
            if response.status_code in RETRY_STATUSES and not last:
                delay = policy.delay_for(response, attempt)
                await response.aclose()
                log_retry(f"gateway answered {response.status_code}", delay, attempt)
                await asyncio.sleep(delay)
                continue
            if response.status_code >= 400 and stream:
                await response.aread()
                await response.aclose()
            raise_for_error(response)
            return response
        raise AssertionError("unreachable")

    async def submit(
        self,
        path: str | os.PathLike[str],
        *,
        force: bool = False,
        progress: UploadProgressFn | None = None,
    ) -> Analysis | AnalysisAccepted:
        upload = MultipartFile.of(path)
        meter = UploadMeter(upload.size, progress)

        def body() -> tuple[dict[str, str], AsyncIterator[bytes]]:
            meter.restart()
            return upload.headers, upload.astream(meter)

        params = {"force": "true"} if force else None
        return submitted(await self._send("POST", "/v1/analyses", params=params, body=body))

    async def analyze(
        self,
        path: str | os.PathLike[str],
        wait: bool = True,
        *,
        force: bool = False,
        progress: UploadProgressFn | None = None,
        on_event: EventFn | None = None,
        timeout_s: float | None = None,
    ) -> Analysis:
        answer = await self.submit(Path(path), force=force, progress=progress)
        if isinstance(answer, Analysis):
            return answer
        if not wait:
            return await self.get(answer.id)
        return await self.wait(answer.id, on_event=on_event, timeout_s=timeout_s)

    async def get(self, analysis_id: str) -> Analysis:
        response = await self._send("GET", f"/v1/analyses/{analysis_id}")
        return parse(Analysis, response.content)

    async def events(self, analysis_id: str) -> AsyncGenerator[AnalysisEvent, None]:
        response = await self._send("GET", f"/v1/analyses/{analysis_id}/events", stream=True)
        try:
            async for event in aparse_events(response.aiter_lines()):
                yield event
        finally:
            await response.aclose()

    async def wait(
        self,
        analysis_id: str,
        *,
        on_event: EventFn | None = None,
        timeout_s: float | None = None,
    ) -> Analysis:
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        try:
            async with contextlib.aclosing(self.events(analysis_id)) as stream:
                async for event in stream:
                    if on_event:
                        on_event(event)
                    if event.event in TERMINAL:
                        if event.analysis is not None:
                            return event.analysis
                        break
                    if deadline is not None and time.monotonic() > deadline:
                        break
        except ApiError as exc:
            if exc.status not in NO_STREAM_STATUSES:
                raise
        except (ConnectionFailed, httpx.TransportError):
            pass  # the stream broke: polling below finds the end
        while True:
            analysis = await self.get(analysis_id)
            if analysis.status in FINISHED:
                return analysis
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"analysis {analysis_id} not finished after {timeout_s} s")
            await asyncio.sleep(self.options.poll_s)

    async def history(
        self,
        limit: int = 20,
        offset: int = 0,
        *,
        kind: str | None = None,
        verdict: str | None = None,
        q: str | None = None,
    ) -> AnalysisPage:
        params = {"limit": limit, "offset": offset, "kind": kind, "verdict": verdict, "q": q}
        params = {k: v for k, v in params.items() if v is not None}
        response = await self._send("GET", "/v1/analyses", params=params)
        return page_from_response(response, limit, offset)

    async def report(self, analysis_id: str, format: ReportFormat = "html") -> bytes:
        response = await self._send(
            "GET", f"/v1/analyses/{analysis_id}/report", params={"format": format}
        )
        return response.content

    async def save_report(
        self, analysis_id: str, destination: str | os.PathLike[str], format: ReportFormat
    ) -> int:
        """Stream the report to a file; returns the bytes written."""
        response = await self._send(
            "GET", f"/v1/analyses/{analysis_id}/report", params={"format": format}, stream=True
        )
        written = 0
        try:
            with Path(destination).open("wb") as out:
                async for chunk in response.aiter_bytes():
                    written += out.write(chunk)
        finally:
            await response.aclose()
        return written

    async def delete(self, analysis_id: str) -> None:
        await self._send("DELETE", f"/v1/analyses/{analysis_id}")

    async def services(self) -> list[ServiceStatus]:
        response = await self._send("GET", "/v1/services")
        return [parse(ServiceStatus, item) for item in response.json()]
