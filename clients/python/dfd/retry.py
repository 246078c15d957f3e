"""When to try a request again, and how long to wait first.

429 and 503 are refusals (nothing was done), so even an upload may be sent again; the
gateway says how long to wait in Retry-After, which is honoured (up to `max_wait_s`).
Connection errors (nothing listening, connect timeout) are retried with exponential
backoff. Anything later (a read error mid-answer) is not retried: the gateway may have
taken the upload already.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

RETRY_STATUSES = frozenset({429, 503})
RETRY_EXCEPTIONS: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    max_wait_s: float = 120.0

    def backoff(self, attempt: int) -> float:
        """Exponential with jitter, for attempt 0, 1, 2, ..."""
        base = min(self.max_backoff_s, self.backoff_s * 2**attempt)
        return base * (0.5 + random.random() / 2)

    def delay_for(self, response: httpx.Response, attempt: int) -> float:
        told = retry_after_s(response.headers.get("retry-after"))
        if told is None:
            return self.backoff(attempt)
        return min(told, self.max_wait_s)


NO_RETRY = RetryPolicy(attempts=1)


def retry_after_s(value: str | None) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
