"""Everything a running gateway holds, built once per app and started/stopped by its
lifespan. Routes reach it through dependencies (core/deps.py), tests through
`container_of(app)`; nothing lives in module globals."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import httpx
import sqlalchemy as sa
from dd_provenance import ProvenanceSettings
from fastapi import FastAPI

from dd_gateway.analyses.artifacts import ArtifactStore
from dd_gateway.analyses.callbacks import CallbackPolicy, CallbackSender
from dd_gateway.analyses.events import EventHub
from dd_gateway.analyses.repository import Job, SqlJobStore
from dd_gateway.analyses.runner import AnalysisRunner
from dd_gateway.analyses.service import AnalysisService
from dd_gateway.analyses.worker import Lane, WorkerPool
from dd_gateway.core.db import make_engine, migrate
from dd_gateway.core.metrics import GatewayMetrics
from dd_gateway.core.settings import GatewaySettings
from dd_gateway.keys.auth import Authenticator
from dd_gateway.keys.ratelimit import RateLimiter
from dd_gateway.keys.store import KeyStore
from dd_gateway.media.store import MediaStore
from dd_gateway.services.catalogue import Backends
from dd_service_kit.metrics import Metrics

log = logging.getLogger(__name__)
RETENTION_SWEEP_S = 3600.0


def _lanes(settings: GatewaySettings) -> list[Lane]:
    return [
        Lane("short", ("image", "audio"), settings.max_running_jobs),
        Lane("video", ("video",), settings.max_running_videos),
    ]


@dataclass
class Container:
    settings: GatewaySettings
    engine: sa.Engine
    store: SqlJobStore
    keys: KeyStore
    media: MediaStore
    artifacts: ArtifactStore
    hub: EventHub
    http: httpx.AsyncClient
    backends: Backends
    pool: WorkerPool
    metrics: GatewayMetrics
    authenticator: Authenticator
    callbacks: CallbackSender | None
    analyses: AnalysisService
    transport: httpx.AsyncBaseTransport | None = None
    background: set[asyncio.Task[None]] = field(default_factory=set)

    @classmethod
    def build(
        cls,
        settings: GatewaySettings,
        base_metrics: Metrics,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> Container:
        engine = make_engine(settings.resolved_database_url())
        migrate(engine)
        store = SqlJobStore(engine)
        keys = KeyStore(engine)
        media = MediaStore(settings.data_dir, settings.replica_id)
        artifacts = ArtifactStore(settings.data_dir / "artifacts")
        hub = EventHub()
        http = _service_client(transport)
        backends = Backends(settings.modality_table(), settings, http)
        callbacks = None
        if settings.callback_secret:
            internal = {
                (u.host, u.port or 80)
                for u in (httpx.URL(c.base_url) for c in backends.clients.values() if c.base_url)
            }
            fusion = httpx.URL(settings.fusion_url)
            internal.add((fusion.host, fusion.port or 80))
            callbacks = CallbackSender(
                CallbackPolicy(internal, settings.callback_allow_private),
                settings.callback_secret,
                attempts=settings.callback_attempts,
                backoff_s=settings.callback_backoff_s,
                deadline_s=settings.callback_timeout_s,
                max_connections=settings.callback_max_connections,
                transport=transport,
            )
        metrics = GatewayMetrics(base_metrics)
        # The pool's on_finished needs the container; bound after construction.
        holder: dict[str, Container] = {}

        async def on_finished(job: Job) -> None:
            await holder["self"].on_finished(job)

        pool = WorkerPool(
            store,
            AnalysisRunner(
                backends,
                artifacts,
                hub.publish,
                provenance=ProvenanceSettings.from_env() if settings.provenance else None,
                limits=settings.limits,
            ),
            hub,
            owner=settings.replica_id,
            lanes=_lanes(settings),
            capacity=settings.max_queued_jobs,
            poll_s=settings.claim_poll_s,
            on_finished=on_finished,
        )
        analyses = AnalysisService(
            settings,
            store,
            media,
            artifacts,
            hub,
            pool,
            backends,
            callbacks,
            on_cache_hit=metrics.cache_hits.inc,
        )
        authenticator = Authenticator(
            keys,
            RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst),
            settings.require_keys,
        )
        container = cls(
            settings=settings,
            engine=engine,
            store=store,
            keys=keys,
            media=media,
            artifacts=artifacts,
            hub=hub,
            http=http,
            backends=backends,
            pool=pool,
            metrics=metrics,
            authenticator=authenticator,
            callbacks=callbacks,
            analyses=analyses,
            transport=transport,
        )
        holder["self"] = container
        metrics.watch(
            store.count_queued,
            lambda: len(pool.live),
            {name: (lambda c=c: c.breaker.state) for name, c in backends.clients.items()},
        )
        return container

    async def on_finished(self, job: Job) -> None:
        self.metrics.finished(job.analysis)
        if job.callback_url and self.callbacks is not None:
            self._spawn(self._callback(job))

    async def _callback(self, job: Job) -> None:
        assert job.callback_url and self.callbacks is not None
        delivered = await self.callbacks.deliver(job.callback_url, job.analysis)
        self.metrics.callbacks.labels("delivered" if delivered else "gave_up").inc()

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def _retention_sweeper(self) -> None:
        while True:
            purged = await asyncio.to_thread(self.analyses.purge_old_media)
            if purged:
                log.info("purged media past retention", extra={"files": purged})
            await asyncio.sleep(RETENTION_SWEEP_S)

    async def start(self) -> None:
        if self.http.is_closed:  # the app is started again (tests, embedding servers)
            self.http = _service_client(self.transport)
            self.backends.use(self.http)
        if self.callbacks is not None:
            self.callbacks.reopen()
        failed, queued = self.store.recover(self.settings.replica_id)
        if failed or queued:
            log.warning(
                "recovered jobs after restart",
                extra={"failed_interrupted": failed, "resumed_queued": queued},
            )
        for job_id in failed:
            job = self.store.get(job_id)
            if job is not None:
                await self.on_finished(job)
        self.pool.start()
        self._spawn(self._retention_sweeper())
        self._spawn(self.backends.warm_up())

    async def stop(self) -> None:
        await self.pool.stop()
        for task in list(self.background):
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        await self.backends.close()
        await self.http.aclose()
        if self.callbacks is not None:
            await self.callbacks.aclose()
        self.engine.dispose()


def _service_client(transport: httpx.AsyncBaseTransport | None) -> httpx.AsyncClient:
    return httpx.AsyncClient(limits=httpx.Limits(max_connections=64), transport=transport)


def container_of(app: FastAPI) -> Container:
    container: Container = app.state.container
    return container
