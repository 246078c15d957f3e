"""Bounded parsing: run a parse/decode function in a pre-started worker process with an
address-space limit (RLIMIT_AS), a CPU-time limit (RLIMIT_CPU) and a wall-clock timeout.

Workers come from multiprocessing's *forkserver*: a clean server process (started by
fork+exec, so it inherits none of the service's torch/TensorFlow threads) that has
imported numpy, PyAV and Pillow once; each worker is a fork of it, ready in ~10-30 ms.
Over a limit → MediaRejected('parse_limit_exceeded'); the worker is killed and replaced
and every other task keeps its own worker. See README.md for the measurements.
"""

from __future__ import annotations

import importlib.util
import io
import multiprocessing
import multiprocessing.context
import os
import signal
import threading
from collections.abc import Callable, Iterator
from multiprocessing import forkserver, popen_forkserver, reduction, spawn, util
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext, set_spawning_popen
from typing import Any, TypeVar

from dd_contracts.catalogue import ErrorType
from dd_contracts.limits import MediaLimits
from dd_inference import MediaRejected
from dd_mediaguard import transport
from dd_mediaguard.errors import rejected

T = TypeVar("T")

# Imported once in the forkserver so each worker starts with them (if installed).
_PRELOAD = ("dd_mediaguard.worker", "numpy", "av", "PIL.Image")


class _MainlessPopen(popen_forkserver.Popen):
    """multiprocessing's forkserver launch, minus re-running the service's main module in
    the worker: a worker needs only the parser, and a main script without an
    ``if __name__ == '__main__'`` guard would start the service again."""

    def _launch(self, process_obj: Any) -> None:
        prep_data = {
            key: value
            for key, value in spawn.get_preparation_data(process_obj._name).items()
            if key not in ("init_main_from_path", "init_main_from_name")
        }
        buf = io.BytesIO()
        set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            set_spawning_popen(None)
        fds = self._fds  # type: ignore[attr-defined]
        self.sentinel, w = forkserver.connect_to_new_process(fds)
        parent_w = os.dup(w)  # the child's sentinel of its parent, as in the original
        close_fds = util.close_fds  # type: ignore[attr-defined]
        self.finalizer = util.Finalize(self, close_fds, (parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as handle:
            handle.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _WorkerProcess(multiprocessing.context.ForkServerProcess):
    @staticmethod
    def _Popen(process_obj: Any) -> _MainlessPopen:
        return _MainlessPopen(process_obj)


class _Worker:
    def __init__(self, ctx: BaseContext) -> None:
        from dd_mediaguard.worker import serve

        parent, child = ctx.Pipe(duplex=True)  # type: ignore[attr-defined]
        self.process = _WorkerProcess(
            target=serve, args=(child,), name="dd-mediaguard-worker", daemon=True
        )
        self.process.start()
        child.close()
        self.conn: Connection = parent

    @property
    def pid(self) -> int:
        return int(self.process.pid or 0)

    def alive(self) -> bool:
        return bool(self.process.is_alive())

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()
        transport.remove_leftovers(self.pid)


class WorkerPool:
    """At most ``size`` workers; a caller waits for a free one. Thread-safe."""

    def __init__(self, size: int = 2, preload: tuple[str, ...] = ()) -> None:
        self.size = max(1, size)
        self._ctx = multiprocessing.get_context("forkserver")
        modules = [m for m in (*_PRELOAD, *preload) if _importable(m)]
        # Applies to this process's forkserver, which starts with the first worker.
        self._ctx.set_forkserver_preload(modules)  # type: ignore[attr-defined]
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._busy = 0
        self._closed = False
        self.replaced = 0  # workers killed for a limit or a crash (for tests and metrics)

    # -- lifecycle ---------------------------------------------------------------------
    def warm(self) -> None:
        """Start the forkserver and the workers now instead of on the first file."""
        with self._cond:
            missing = self.size - self._busy - len(self._idle)
        started = [_Worker(self._ctx) for _ in range(missing)]
        with self._cond:
            self._idle.extend(started)
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()

    def worker_pids(self) -> list[int]:
        with self._cond:
            return [w.pid for w in self._idle]

    def _acquire(self) -> _Worker:
        with self._cond:
            while not self._idle and self._busy >= self.size:
                self._cond.wait()
            self._busy += 1
            worker = self._idle.pop() if self._idle else None
        try:
            if worker is None or not worker.alive():
                if worker is not None:
                    worker.kill()
                worker = _Worker(self._ctx)
        except BaseException:
            with self._cond:
                self._busy -= 1
                self._cond.notify()
            raise
        return worker

    def _release(self, worker: _Worker, healthy: bool) -> None:
        if not healthy:
            worker.kill()
            self.replaced += 1
            # Replace it in the background, so the next file does not wait for a fork.
            threading.Thread(target=self._replenish, daemon=True).start()
        with self._cond:
            self._busy -= 1
            if healthy and not self._closed:
                self._idle.append(worker)
            self._cond.notify()
        if healthy and self._closed:
            worker.kill()

    def _replenish(self) -> None:
        try:
            worker = _Worker(self._ctx)
        except Exception:
            return  # the next task starts one itself
        with self._cond:
            if not self._closed and self._busy + len(self._idle) < self.size:
                self._idle.append(worker)
                self._cond.notify()
                return
        worker.kill()

    # -- tasks -------------------------------------------------------------------------
    def run(self, fn: Callable[..., T], *args: Any, limits: MediaLimits, **kwargs: Any) -> T:
        worker = self._acquire()
        healthy = False
        try:
            worker.conn.send(("call", fn, args, kwargs, *_budget(limits)))
            kind, payload, retire = _receive(worker, limits)
            healthy = not retire
            return _result(kind, payload)  # type: ignore[no-any-return]
        finally:
            self._release(worker, healthy)

    def iterate(
        self, fn: Callable[..., Iterator[T]], *args: Any, limits: MediaLimits, **kwargs: Any
    ) -> Iterator[T]:
        """Run a generator function in a worker and yield its items as they come; the
        pipe holds back the worker while the caller is busy with an item. ``parse_wall_s``
        bounds the wait for each item."""
        worker = self._acquire()
        healthy = False
        try:
            worker.conn.send(("iter", fn, args, kwargs, *_budget(limits)))
            while True:
                kind, payload, retire = _receive(worker, limits)
                if kind == "item":
                    yield payload
                    continue
                healthy = not retire
                _result(kind, payload)
                return
        finally:
            # A caller that stops early leaves the worker mid-task: it is replaced.
            self._release(worker, healthy)


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _budget(limits: MediaLimits) -> tuple[int, float]:
    return limits.parse_memory_bytes, limits.parse_cpu_s


def _receive(worker: _Worker, limits: MediaLimits) -> tuple[str, Any, bool]:
    if not worker.conn.poll(limits.parse_wall_s):
        raise rejected(
            ErrorType.parse_limit_exceeded,
            f"Reading the file took longer than {limits.parse_wall_s:g} s; it was refused.",
        )
    try:
        message: tuple[str, Any, bool] = transport.receive(worker.conn)
        return message
    except (EOFError, OSError) as exc:
        worker.process.join(timeout=2)
        code = worker.process.exitcode
        if code == -signal.SIGXCPU:
            raise rejected(
                ErrorType.parse_limit_exceeded,
                f"Reading the file took more than {limits.parse_cpu_s:g} s of CPU; it was refused.",
            ) from exc
        raise rejected(
            ErrorType.parse_limit_exceeded,
            "The parser stopped while reading the file (memory limit or a crash); it was "
            f"refused (exit {code}).",
        ) from exc


def _result(kind: str, payload: Any) -> Any:
    if kind in ("ok", "done"):
        return payload
    if kind == "rejected":
        type_, detail, status = payload
        raise MediaRejected(type_, detail, status)
    if kind == "memory":
        raise rejected(
            ErrorType.parse_limit_exceeded,
            "Reading the file needed more memory than allowed; it was refused.",
        )
    if isinstance(payload, BaseException):
        raise payload
    raise RuntimeError(f"unexpected worker answer {kind!r}")


_default: WorkerPool | None = None
_default_lock = threading.Lock()


def default_pool(preload: tuple[str, ...] = ()) -> WorkerPool:
    """The process-wide pool (``DD_MEDIAGUARD_WORKERS`` workers, default 2), created on
    first use; ``preload`` only counts the first time (the forkserver imports it once)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = WorkerPool(int(os.environ.get("DD_MEDIAGUARD_WORKERS", "2")), preload)
        return _default


def _in_process() -> bool:
    """DD_MEDIAGUARD_INPROCESS=1 runs parsers in the calling process, unbounded (for a
    debugger; never in production)."""
    return os.environ.get("DD_MEDIAGUARD_INPROCESS", "") == "1"


def bounded(fn: Callable[..., T], *args: Any, limits: MediaLimits, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` in a bounded worker; ``fn``, its arguments and its result
    must pickle (a module-level function; numpy arrays come back pickled). MediaRejected
    raised by ``fn`` comes back as is; over a limit → MediaRejected('parse_limit_exceeded')."""
    if _in_process():
        return fn(*args, **kwargs)
    return default_pool((fn.__module__,)).run(fn, *args, limits=limits, **kwargs)


def bounded_iter(
    fn: Callable[..., Iterator[T]], *args: Any, limits: MediaLimits, **kwargs: Any
) -> Iterator[T]:
    """Like ``bounded`` for a generator function: its items stream back one by one."""
    if _in_process():
        return fn(*args, **kwargs)
    return default_pool((fn.__module__,)).iterate(fn, *args, limits=limits, **kwargs)
