"""The worker pool: a bounded number of jobs run at once, taken from the database.

Submitting a job writes its row (status queued) and wakes a worker; the worker claims
the row (see jobs.py for why that is safe across replicas), runs it, and writes the
finished document. Idle workers also look for queued rows every `claim_poll_s`, which is
how jobs left queued by a restart, or submitted through another replica, get done.
Back-pressure: the submitter counts queued rows and refuses (503) past the capacity.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from dd_contracts import AnalysisStatus
from dd_contracts.analysis import AnalysisEvent
from dd_gateway.errors import GatewayError
from dd_gateway.events import EventHub
from dd_gateway.jobs import Job, JobStore

log = logging.getLogger(__name__)

Run = Callable[[Job], Awaitable[None]]
Finished = Callable[[Job], Awaitable[None]]


class WorkerPool:
    def __init__(
        self,
        store: JobStore,
        run: Run,
        hub: EventHub,
        *,
        owner: str,
        workers: int,
        capacity: int,
        poll_s: float,
        on_finished: Finished,
    ) -> None:
        self.store = store
        self.run = run
        self.hub = hub
        self.owner = owner
        self.workers = workers
        self.capacity = capacity
        self.poll_s = poll_s
        self.on_finished = on_finished
        # Jobs running in this process, so reads see live progress.
        self.live: dict[str, Job] = {}
        self._wake: asyncio.Queue[None] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def depth(self) -> int:
        return self.store.count_queued()

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._worker()) for _ in range(self.workers)]

    async def stop(self) -> None:
        """Cancel the workers; jobs they were running stay `running` in the database,
        exactly as after a crash, and the next start fails them explicitly."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    def submit(self, job: Job) -> None:
        # No await between the count and the insert: within one process the check
        # cannot race; across replicas the bound is approximate, which is all it needs.
        if self.store.count_queued() >= max(1, self.capacity):
            raise GatewayError(
                "The analysis queue is full; try again shortly.",
                type="queue_full",
                status_code=503,
                headers={"Retry-After": "10"},
            )
        self.store.add(job)
        self.hub.publish(AnalysisEvent(event="queued", analysis_id=job.analysis.id))
        self._wake.put_nowait(None)

    def current(self, analysis_id: str) -> Job | None:
        return self.live.get(analysis_id) or self.store.get(analysis_id)

    async def _worker(self) -> None:
        while True:
            job = self.store.claim(self.owner)
            if job is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.get(), timeout=self.poll_s)
                continue
            await self._run_one(job)

    async def _run_one(self, job: Job) -> None:
        analysis_id = job.analysis.id
        self.live[analysis_id] = job
        try:
            try:
                await self.run(job)
            except Exception:  # the runner records failures; this is a last resort
                log.exception("job runner crashed", extra={"analysis_id": analysis_id})
                job.analysis.status = AnalysisStatus.failed
            if job.analysis.status is AnalysisStatus.done and job.analysis.partial:
                job.cache_key = None  # a partial answer is not the answer to reuse
            self.store.save(job)
        finally:
            self.live.pop(analysis_id, None)
        terminal = "fused" if job.analysis.status is AnalysisStatus.done else "failed"
        self.hub.publish(
            AnalysisEvent(event=terminal, analysis_id=analysis_id, analysis=job.analysis)
        )
        await self.on_finished(job)
