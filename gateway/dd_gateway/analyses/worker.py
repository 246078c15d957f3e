"""The worker pool: a bounded number of jobs run at once, taken from the database.

Submitting a job writes its row (status queued) and wakes the workers; a worker claims
the row (see repository.py for why that is safe across replicas), runs it, and writes the
finished document. Idle workers also look for queued rows every `claim_poll_s`, which is
how jobs left queued by a restart, or submitted through another replica, get done.
Back-pressure: the submitter counts queued rows and refuses (503) past the capacity.

Lanes keep short work from queueing behind long work: each lane has its own workers and
claims only the media kinds it serves (by default images and audio in one lane, videos
in another), so a long video never holds the slot an image is waiting for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from dd_contracts.catalogue import ErrorType
from dd_gateway.analyses import lifecycle
from dd_gateway.analyses.events import EventHub
from dd_gateway.analyses.repository import Job, JobStore
from dd_gateway.core.errors import GatewayError

log = logging.getLogger(__name__)

Run = Callable[[Job], Awaitable[None]]
Finished = Callable[[Job], Awaitable[None]]


@dataclass(frozen=True)
class Lane:
    name: str
    kinds: tuple[str, ...]
    workers: int


class WorkerPool:
    def __init__(
        self,
        store: JobStore,
        run: Run,
        hub: EventHub,
        *,
        owner: str,
        lanes: list[Lane],
        capacity: int,
        poll_s: float,
        on_finished: Finished,
    ) -> None:
        self.store = store
        self.run = run
        self.hub = hub
        self.owner = owner
        self.lanes = lanes
        self.capacity = capacity
        self.poll_s = poll_s
        self.on_finished = on_finished
        # Jobs running in this process, so reads see live progress.
        self.live: dict[str, Job] = {}
        self._wake = {lane.name: asyncio.Event() for lane in lanes}
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def depth(self) -> int:
        return self.store.count_queued()

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._worker(lane))
            for lane in self.lanes
            for _ in range(lane.workers)
        ]

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
            raise GatewayError.of(
                ErrorType.queue_full,
                "The analysis queue is full; try again shortly.",
                headers={"Retry-After": "10"},
            )
        self.store.add(job)
        self.hub.publish(lifecycle.queued_event(job.analysis.id))
        for lane in self.lanes:
            if job.analysis.media.kind.value in lane.kinds:
                self._wake[lane.name].set()

    def current(self, analysis_id: str) -> Job | None:
        return self.live.get(analysis_id) or self.store.get(analysis_id)

    async def _worker(self, lane: Lane) -> None:
        wake = self._wake[lane.name]
        while True:
            job = await asyncio.to_thread(self.store.claim, self.owner, None, lane.kinds)
            if job is None:
                wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout=self.poll_s)
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
                job.failure_status = lifecycle.fail_with(
                    job.analysis,
                    ErrorType.internal_error,
                    "The analysis failed unexpectedly.",
                    job.request_id,
                )
            if not lifecycle.reusable(job.analysis):
                job.cache_key = None  # a partial answer is not the answer to reuse
            await asyncio.to_thread(self.store.save, job)
        finally:
            self.live.pop(analysis_id, None)
        self.hub.publish(lifecycle.terminal_event(job.analysis))
        await self.on_finished(job)
