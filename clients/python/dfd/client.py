"""The synchronous client. `AsyncClient` (async_client.py) is its twin, method for method."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
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
from dfd.sse import TERMINAL, parse_events
from dfd.upload import MultipartFile


class Client:
    """DeepfakeDetective gateway client.

    `Client(url, api_key).analyze(path)` uploads (streamed), follows the analysis and
    returns the finished `Analysis`. 429/503 answers and connection failures are retried
    (Retry-After honoured); gateway errors raise `ApiError` with the gateway's type.
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        api_key: str | None = None,
        *,
        timeout_s: float = 60.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.options = ClientOptions(url.rstrip("/"), api_key, timeout_s, retry or RetryPolicy())
        self._http = httpx.Client(
            base_url=self.options.url,
            headers=self.options.headers(),
            timeout=self.options.timeout(),
            transport=transport,
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- transport ---------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Callable[[], tuple[dict[str, str], Iterator[bytes]]] | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        """One request with the retry policy; `body` makes a fresh stream per attempt."""
        policy = self.options.retry
        for attempt in range(policy.attempts):
            last = attempt + 1 >= policy.attempts
            headers, content = body() if body else ({}, None)
            request = self._http.build_request(
                method, path, params=params, headers=headers, content=content
            )
            try:
                response = self._http.send(request, stream=stream)
            except RETRY_EXCEPTIONS as exc:
                if last:
                    raise ConnectionFailed(f"cannot reach {self.options.url}: {exc}") from exc
                delay = policy.backoff(attempt)
                log_retry(f"cannot reach {self.options.url}", delay, attempt)
                time.sleep(delay)
                continue
            except httpx.TransportError as exc:
                raise ConnectionFailed(f"{method} {path} failed: {exc!r}") from exc
            if response.status_code in RETRY_STATUSES and not last:
                delay = policy.delay_for(response, attempt)
                response.close()
                log_retry(f"gateway answered {response.status_code}", delay, attempt)
                time.sleep(delay)
                continue
            if response.status_code >= 400 and stream:
                response.read()
                response.close()
            raise_for_error(response)
            return response
        raise AssertionError("unreachable")  # the loop returns or raises

    # -- analyses ----------------------------------------------------------------------

    def submit(
        self,
        path: str | os.PathLike[str],
        *,
        force: bool = False,
        progress: UploadProgressFn | None = None,
    ) -> Analysis | AnalysisAccepted:
        """Upload one file (streamed from disk). A stored result for the same bytes comes
        back at once as the finished Analysis; otherwise the AnalysisAccepted."""
        upload = MultipartFile.of(path)
        meter = UploadMeter(upload.size, progress)

        def body() -> tuple[dict[str, str], Iterator[bytes]]:
            meter.restart()
            return upload.headers, upload.stream(meter)

        params = {"force": "true"} if force else None
        return submitted(self._send("POST", "/v1/analyses", params=params, body=body))

    def analyze(
        self,
        path: str | os.PathLike[str],
        wait: bool = True,
        *,
        force: bool = False,
        progress: UploadProgressFn | None = None,
        on_event: EventFn | None = None,
        timeout_s: float | None = None,
    ) -> Analysis:
        """Upload and, with `wait`, follow the analysis until it has finished. Without
        `wait`, the document as it stands right after the upload (usually queued)."""
        answer = self.submit(Path(path), force=force, progress=progress)
        if isinstance(answer, Analysis):
            return answer
        if not wait:
            return self.get(answer.id)
        return self.wait(answer.id, on_event=on_event, timeout_s=timeout_s)

    def get(self, analysis_id: str) -> Analysis:
        response = self._send("GET", f"/v1/analyses/{analysis_id}")
        return parse(Analysis, response.content)

    def events(self, analysis_id: str) -> Iterator[AnalysisEvent]:
        """The live event stream (SSE) of one analysis; ends after fused or failed."""
        response = self._send("GET", f"/v1/analyses/{analysis_id}/events", stream=True)
        try:
            yield from parse_events(response.iter_lines())
        finally:
            response.close()

    def wait(
        self,
        analysis_id: str,
        *,
        on_event: EventFn | None = None,
        timeout_s: float | None = None,
    ) -> Analysis:
        """Follow the event stream to the end; if the stream is missing or breaks, poll."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        try:
            for event in self.events(analysis_id):
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
            analysis = self.get(analysis_id)
            if analysis.status in FINISHED:
                return analysis
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"analysis {analysis_id} not finished after {timeout_s} s")
            time.sleep(self.options.poll_s)

    def history(
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
        response = self._send("GET", "/v1/analyses", params=params)
        return page_from_response(response, limit, offset)

    def report(self, analysis_id: str, format: ReportFormat = "html") -> bytes:
        response = self._send(
            "GET", f"/v1/analyses/{analysis_id}/report", params={"format": format}
        )
        return response.content

    def save_report(
        self, analysis_id: str, destination: str | os.PathLike[str], format: ReportFormat
    ) -> int:
        """Stream the report to a file; returns the bytes written."""
        response = self._send(
            "GET", f"/v1/analyses/{analysis_id}/report", params={"format": format}, stream=True
        )
        written = 0
        try:
            with Path(destination).open("wb") as out:
                for chunk in response.iter_bytes():
                    written += out.write(chunk)
        finally:
            response.close()
        return written

    def delete(self, analysis_id: str) -> None:
        self._send("DELETE", f"/v1/analyses/{analysis_id}")

    def services(self) -> list[ServiceStatus]:
        response = self._send("GET", "/v1/services")
        return [parse(ServiceStatus, item) for item in response.json()]
