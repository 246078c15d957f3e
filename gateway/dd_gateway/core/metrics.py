"""Gateway-specific Prometheus metrics, in the app's own registry (app.state.metrics)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import Counter, Gauge

from dd_contracts import Analysis
from dd_gateway.services.breaker import BreakerState
from dd_service_kit.metrics import Metrics

_BREAKER_VALUE = {BreakerState.closed: 0, BreakerState.half_open: 1, BreakerState.open: 2}


class GatewayMetrics:
    def __init__(self, base: Metrics) -> None:
        self.base = base
        registry = base.registry
        self.queue_depth = Gauge("dd_gateway_queue_depth", "Queued analyses", registry=registry)
        self.running = Gauge("dd_gateway_running_jobs", "Analyses running here", registry=registry)
        self.jobs = Counter(
            "dd_gateway_jobs_total", "Finished analyses", ["status", "partial"], registry=registry
        )
        self.modality_outcomes = Counter(
            "dd_gateway_modality_results_total",
            "Per-modality outcomes (status ok, unavailable, failed, ...)",
            ["modality", "status"],
            registry=registry,
        )
        self.breaker = Gauge(
            "dd_gateway_breaker_state",
            "Circuit breaker per service: 0 closed, 1 half-open, 2 open",
            ["service"],
            registry=registry,
        )
        self.cache_hits = Counter(
            "dd_gateway_cache_hits_total", "Answers served from a stored result", registry=registry
        )
        self.callbacks = Counter(
            "dd_gateway_callbacks_total", "Callback deliveries", ["outcome"], registry=registry
        )

    def watch(
        self,
        depth: Callable[[], int],
        running: Callable[[], int],
        breakers: dict[str, Callable[[], BreakerState]],
    ) -> None:
        self.queue_depth.set_function(depth)
        self.running.set_function(running)
        for name, state in breakers.items():
            self.breaker.labels(name).set_function(_breaker_value(state))

    def finished(self, analysis: Analysis) -> None:
        self.jobs.labels(analysis.status.value, str(analysis.partial).lower()).inc()
        for name, result in analysis.modalities.items():
            self.modality_outcomes.labels(name, result.status.value).inc()
        self.base.observe_stages(analysis.latencies_ms)


def _breaker_value(state: Callable[[], BreakerState]) -> Callable[[], float]:
    return lambda: float(_BREAKER_VALUE[state()])
