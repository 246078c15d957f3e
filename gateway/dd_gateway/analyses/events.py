"""Progress events for one analysis, fanned out to whoever follows it (SSE, ?wait=true).

In-process only: a follower on another replica than the worker sees no live progress,
but still sees the end, because followers also look at the database every few seconds.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

from dd_contracts.analysis import AnalysisEvent
from dd_gateway.analyses.lifecycle import is_terminal


class EventHub:
    def __init__(self, buffer: int = 256) -> None:
        self.buffer = buffer
        self._followers: defaultdict[str, set[asyncio.Queue[AnalysisEvent]]] = defaultdict(set)

    def subscribe(self, analysis_id: str) -> asyncio.Queue[AnalysisEvent]:
        queue: asyncio.Queue[AnalysisEvent] = asyncio.Queue(self.buffer)
        self._followers[analysis_id].add(queue)
        return queue

    def unsubscribe(self, analysis_id: str, queue: asyncio.Queue[AnalysisEvent]) -> None:
        followers = self._followers.get(analysis_id)
        if followers is not None:
            followers.discard(queue)
            if not followers:
                del self._followers[analysis_id]

    def publish(self, event: AnalysisEvent) -> None:
        for queue in self._followers.get(event.analysis_id, ()):
            if queue.full() and not is_terminal(event):
                continue  # a slow reader misses progress ticks, never the end
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)


def sse(event: AnalysisEvent) -> bytes:
    return f"event: {event.event}\ndata: {event.model_dump_json()}\n\n".encode()
