"""The loop a parser worker process runs (imported in the worker, never in the service).

One task at a time: apply the limits, run the function, send back the result (or each
item of a generator), lift the limits. Hitting a limit kills the process (SIGXCPU for
CPU time) or surfaces as MemoryError / an allocation failure inside the C parser; either
way the pool replaces the worker.
"""

from __future__ import annotations

import errno
import math
import os
import pickle
import resource
from multiprocessing.connection import Connection
from typing import Any

from dd_inference import MediaRejected
from dd_mediaguard import transport

# A worker whose address space grew this much over its start is retired after the task:
# allocators rarely give large freed blocks back, and the next task gets a clean heap.
_RETIRE_GROWTH = 512 * 1024 * 1024


def _address_space() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _limit(memory_bytes: int, cpu_s: float) -> None:
    _, hard_as = resource.getrlimit(resource.RLIMIT_AS)
    _, hard_cpu = resource.getrlimit(resource.RLIMIT_CPU)
    # The memory limit is what the task may add to what the worker already maps (the
    # interpreter and FFmpeg's libraries are mapped before any file is read).
    soft_as = _address_space() + memory_bytes
    if hard_as != resource.RLIM_INFINITY:
        soft_as = min(soft_as, hard_as)
    soft_cpu = math.ceil(_cpu_used() + cpu_s)
    if hard_cpu != resource.RLIM_INFINITY:
        soft_cpu = min(soft_cpu, hard_cpu)
    resource.setrlimit(resource.RLIMIT_AS, (soft_as, hard_as))
    resource.setrlimit(resource.RLIMIT_CPU, (soft_cpu, hard_cpu))


def _unlimit() -> None:
    for which in (resource.RLIMIT_AS, resource.RLIMIT_CPU):
        _, hard = resource.getrlimit(which)
        resource.setrlimit(which, (hard, hard))


def _portable(exc: BaseException) -> BaseException:
    """The exception itself when it survives pickling, else a RuntimeError naming it."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def _out_of_memory(exc: BaseException | None) -> bool:
    return isinstance(exc, MemoryError) or getattr(exc, "errno", None) == errno.ENOMEM


def serve(conn: Connection) -> None:
    baseline = _address_space()
    while True:
        try:
            op, fn, args, kwargs, memory_bytes, cpu_s = conn.recv()
        except (EOFError, OSError):
            return  # the service went away
        reply: tuple[str, Any]
        _limit(memory_bytes, cpu_s)
        try:
            if op == "iter":
                for item in fn(*args, **kwargs):
                    transport.send(conn, ("item", item, False))
                reply = ("done", None)
            else:
                reply = ("ok", fn(*args, **kwargs))
        except MediaRejected as exc:
            # A parser that ran out of its address space often reports it as a read
            # error (FFmpeg: ENOMEM): that is the memory bound, not a damaged file.
            if _out_of_memory(exc.__cause__):
                reply = ("memory", None)
            else:
                reply = ("rejected", (exc.type, exc.detail, exc.status_code))
        except MemoryError:
            reply = ("memory", None)
        except BaseException as exc:
            reply = ("error", _portable(exc))
        finally:
            _unlimit()
        retire = reply[0] == "memory" or _address_space() - baseline > _RETIRE_GROWTH
        try:
            transport.send(conn, (*reply, retire))
        except (MemoryError, pickle.PicklingError, OSError):
            return  # the parent sees the pipe close and treats it as a failed task
        if retire:
            return
