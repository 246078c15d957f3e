"""What Client and AsyncClient share: settings, headers, and reading answers (no I/O)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import httpx

from dd_contracts import Analysis, AnalysisAccepted, AnalysisStatus
from dd_contracts.analysis import AnalysisEvent
from dfd.errors import ApiError, parse
from dfd.retry import RetryPolicy

log = logging.getLogger("dfd")

DEFAULT_URL = "http://127.0.0.1:8000"
ReportFormat = Literal["html", "json", "pdf"]
EventFn = Callable[[AnalysisEvent], None]
UploadProgressFn = Callable[[int, int], None]
"""Called with (bytes of the file sent so far, file size); starts again on a retry."""

FINISHED = (AnalysisStatus.done, AnalysisStatus.failed)
# Answers of /events that mean "this gateway has no event stream": fall back to polling.
NO_STREAM_STATUSES = frozenset({404, 405, 501})


@dataclass
class ClientOptions:
    url: str = DEFAULT_URL
    api_key: str | None = None
    timeout_s: float = 60.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    poll_s: float = 1.0

    def headers(self) -> dict[str, str]:
        from dfd import __version__

        headers = {"User-Agent": f"dfd/{__version__}"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self.timeout_s, connect=min(self.timeout_s, 10.0))


def submitted(response: httpx.Response) -> Analysis | AnalysisAccepted:
    """200: the finished document (result cache); 202: accepted, still to run."""
    if response.status_code == 200:
        return parse(Analysis, response.content)
    return parse(AnalysisAccepted, response.content)


def raise_for_error(response: httpx.Response) -> None:
    if response.status_code >= 400:
        raise ApiError.from_response(response)


def log_retry(what: str, delay_s: float, attempt: int) -> None:
    log.warning("%s; retrying in %.1f s (attempt %d)", what, delay_s, attempt + 2)


class UploadMeter:
    """Turns per-chunk byte counts into (sent, total) calls; restarts on each attempt."""

    def __init__(self, total: int, report: UploadProgressFn | None) -> None:
        self.total = total
        self.report = report
        self.sent = 0

    def restart(self) -> None:
        self.sent = 0
        if self.report:
            self.report(0, self.total)

    def __call__(self, count: int) -> None:
        self.sent += count
        if self.report:
            self.report(self.sent, self.total)
