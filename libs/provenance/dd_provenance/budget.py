"""Time bounds: a deadline shared by all sections, and a thread with a timeout for native
code (C2PA, PyAV) that we cannot interrupt from Python."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from dd_provenance.errors import Unreadable

T = TypeVar("T")


class Deadline:
    def __init__(self, budget_s: float) -> None:
        self.start = time.perf_counter()
        self.end = self.start + budget_s

    def left(self) -> float:
        return max(0.0, self.end - time.perf_counter())

    def expired(self) -> bool:
        return time.perf_counter() >= self.end

    def check(self, what: str) -> None:
        if self.expired():
            raise Unreadable(f"time budget spent before {what}")

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.start) * 1000


def run_bounded(func: Callable[[], T], timeout_s: float, what: str) -> T:
    """Run ``func`` in a daemon thread; raise Unreadable if it takes over ``timeout_s``.

    The thread is not killed (native code can't be), only abandoned: it finishes on its
    own, and being a daemon it never keeps the process from exiting.
    """
    if timeout_s <= 0:
        raise Unreadable(f"no time left for {what}")
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = func()
        except BaseException as exc:  # handed to the caller's thread below
            box["error"] = exc

    worker = threading.Thread(target=target, name=f"dd-provenance-{what}", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        raise Unreadable(f"{what} took longer than {timeout_s:.2f} s")
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]
