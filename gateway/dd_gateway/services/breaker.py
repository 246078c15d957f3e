"""A circuit breaker per backend service, so that a dead service fails fast.

closed: calls go through; each connection failure counts, any answer resets the count.
open: after `failures` consecutive connection failures; calls fail at once.
half-open: once `cooldown_s` has passed, one trial call goes through; its outcome closes
the breaker again or reopens it for another cool-down.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum


class BreakerState(StrEnum):
    closed = "closed"
    open = "open"
    half_open = "half_open"


class CircuitBreaker:
    def __init__(
        self, failures: int, cooldown_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = failures
        self.cooldown_s = cooldown_s
        self.clock = clock
        self.consecutive_failures = 0
        self.opened_at: float | None = None
        self.trial_in_flight = False

    @property
    def state(self) -> BreakerState:
        if self.opened_at is None:
            return BreakerState.closed
        if self.trial_in_flight or self.clock() - self.opened_at >= self.cooldown_s:
            return BreakerState.half_open
        return BreakerState.open

    def allow(self) -> bool:
        state = self.state
        if state is BreakerState.closed:
            return True
        if state is BreakerState.half_open and not self.trial_in_flight:
            self.trial_in_flight = True
            return True
        return False

    def record_success(self) -> None:
        self.consecutive_failures = 0
        self.opened_at = None
        self.trial_in_flight = False

    def record_failure(self) -> None:
        self.consecutive_failures += 1
        if self.trial_in_flight or self.consecutive_failures >= self.threshold:
            self.opened_at = self.clock()
        self.trial_in_flight = False

    def retry_in_s(self) -> float:
        if self.opened_at is None:
            return 0.0
        return max(0.0, self.cooldown_s - (self.clock() - self.opened_at))
