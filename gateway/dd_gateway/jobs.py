"""Jobs: an in-memory store and a bounded queue with a fixed pool of workers.

The store is behind a small interface so that the persistence issue can put SQL under it
without touching the routes; the queue refuses work (503 + Retry-After) when full rather
than letting memory grow.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from dd_contracts import Analysis
from dd_gateway.errors import GatewayError

log = logging.getLogger(__name__)


@dataclass
class Job:
    analysis: Analysis
    media_path: Path
    filename: str
    request_id: str
    # The HTTP status a ?wait=true caller gets if the job fails (the service's 4xx).
    failure_status: int = 500
    done: asyncio.Event = field(default_factory=asyncio.Event)


class JobStore:
    """Newest last; the oldest finished jobs are dropped past `limit`."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._jobs: OrderedDict[str, Job] = OrderedDict()

    def add(self, job: Job) -> None:
        self._jobs[job.analysis.id] = job
        while len(self._jobs) > self.limit:
            oldest_id, oldest = next(iter(self._jobs.items()))
            if not oldest.done.is_set():
                break
            del self._jobs[oldest_id]

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def newest_first(self) -> list[Job]:
        return list(reversed(self._jobs.values()))


class JobQueue:
    def __init__(self, workers: int, capacity: int, run: Callable[[Job], Awaitable[None]]) -> None:
        self._queue: asyncio.Queue[Job] = asyncio.Queue(maxsize=max(1, capacity))
        self._workers = workers
        self._run = run
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def depth(self) -> int:
        return self._queue.qsize()

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._worker(i)) for i in range(self._workers)]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def submit(self, job: Job) -> None:
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull as exc:
            raise GatewayError(
                "The analysis queue is full; try again shortly.",
                type="queue_full",
                status_code=503,
                headers={"Retry-After": "10"},
            ) from exc

    async def _worker(self, index: int) -> None:
        while True:
            job = await self._queue.get()
            try:
                await self._run(job)
            except Exception:  # the runner records failures; this is a last resort
                log.exception("job runner crashed", extra={"analysis_id": job.analysis.id})
            finally:
                job.done.set()
                self._queue.task_done()
