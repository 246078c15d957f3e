"""The circuit breaker's states, on a fake clock."""

from __future__ import annotations

from dd_gateway.services.breaker import BreakerState, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_consecutive_failures_then_half_opens_once() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=3, cooldown_s=10, clock=clock)
    for _ in range(2):
        assert breaker.allow()
        breaker.record_failure()
    breaker.record_success()  # an answer resets the count
    for _ in range(3):
        assert breaker.allow()
        breaker.record_failure()
    assert breaker.state is BreakerState.open
    assert not breaker.allow()
    clock.now = 10
    assert breaker.state is BreakerState.half_open
    assert breaker.allow()  # the one trial call
    assert not breaker.allow()  # nobody else while it is in flight
    breaker.record_failure()  # trial failed: open for another cool-down
    assert breaker.state is BreakerState.open and not breaker.allow()
    clock.now = 20
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state is BreakerState.closed and breaker.allow()
