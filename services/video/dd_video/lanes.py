"""Run several decoders side by side and hand their output back in one order.

With x264's default 10 s GOP and sampling at 1 fps, nearly every reference frame of a
GOP must be decoded to reach its samples, and each GOP depends on nothing before its
keyframe. So GOPs (the merged packet ranges of a SamplePlan) can be decoded in parallel,
one decoder per *lane*, and put back in range order: the caller sees exactly what one
decoder going through the ranges in turn would have produced, only sooner.

The lanes are threads in the (bounded) worker process that parses the file: FFmpeg
releases the GIL while it demuxes, decodes and converts, so two lanes use two cores, and
the worker's memory and CPU limits cover all of them together, as they covered one
decoder before. Each lane waits (``depth`` items) when it runs ahead of the consumer,
which bounds what is held in memory.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")

# A lane's decoder: the range positions it owns and a stop flag in; (range position,
# item) pairs out, for its ranges in ascending order.
LaneDecoder = Callable[[Sequence[int], threading.Event], Iterator[tuple[int, T]]]

_END = object()


class _Lane(Generic[T]):
    """One decoder in its own thread, feeding a small queue."""

    def __init__(
        self, name: str, decode: LaneDecoder[T], positions: Sequence[int], depth: int
    ) -> None:
        self._items: queue.Queue[object] = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._head: object = None
        self._has_head = False
        self._thread = threading.Thread(
            target=self._run, args=(decode, positions), name=name, daemon=True
        )
        self._thread.start()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, decode: LaneDecoder[T], positions: Sequence[int]) -> None:
        items = decode(positions, self._stop)
        try:
            for item in items:
                if not self._put(item):
                    return
            self._put(_END)
        except BaseException as exc:  # raised in the consumer, in range order
            self._put(exc)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # the decoder's container is closed in this thread

    def peek(self) -> tuple[int, T] | None:
        """The lane's next (position, item), None once it is done; re-raises its error."""
        if not self._has_head:
            self._head = self._items.get()
            self._has_head = True
        head = self._head
        if head is _END:
            return None
        if isinstance(head, BaseException):
            raise head
        return head  # type: ignore[return-value]

    def pop(self) -> None:
        self._has_head = False

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def merge_lanes(
    groups: Sequence[Sequence[int]], decode: LaneDecoder[T], depth: int = 4
) -> Iterator[T]:
    """Run ``decode`` once per group (the range positions of one lane, see
    sampling.assign_lanes) in parallel threads and yield the items of range 0, then
    range 1, ..., whichever lane decodes them. An error raised in a lane is raised here
    when its turn comes, after every item of the ranges before it: the same point at
    which a single decoder would have raised it. Closing the iterator stops the lanes."""
    owner = {pos: lane for lane, group in enumerate(groups) for pos in group}
    lanes = [
        _Lane(f"video-decode-lane-{i}", decode, list(group), depth)
        for i, group in enumerate(groups)
    ]
    try:
        for pos in sorted(owner):
            lane = lanes[owner[pos]]
            while (head := lane.peek()) is not None and head[0] == pos:
                lane.pop()
                yield head[1]
            if head is not None and head[0] < pos:
                raise RuntimeError(f"decode lane yielded range {head[0]} after range {pos}")
        for lane in lanes:  # an error after a lane's last item still counts
            if lane.peek() is not None:
                raise RuntimeError("a decode lane yielded a range it does not own")
    finally:
        for lane in lanes:
            lane.stop()
