"""How results cross from a worker to the service: pickle protocol 5 with the large
buffers (numpy arrays) out of band.

Buffers of 256 KiB or more are written once to a file in /dev/shm that the service maps
copy-on-write and unlinks at once, so a decoded frame is copied once (by the worker)
instead of being pickled, piped and unpickled; small results and hosts without a usable
/dev/shm (a 64 MB Docker default fills up) use the pipe.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import mmap
import os
import pickle
from multiprocessing.connection import Connection
from typing import Any

SHM_DIR = "/dev/shm"
SHM_MIN_BYTES = 256 * 1024
_counter = itertools.count()


def shm_prefix(pid: int) -> str:
    return os.path.join(SHM_DIR, f"dd-mediaguard-{pid}-")


def send(conn: Connection, message: Any) -> None:
    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(message, protocol=5, buffer_callback=buffers.append)
    raws = [buffer.raw() for buffer in buffers]
    sizes = [raw.nbytes for raw in raws]
    if sum(sizes) >= SHM_MIN_BYTES:
        path = _write_shm(raws)
        if path is not None:
            conn.send(("shm", data, sizes, path))
            return
    conn.send(("pipe", data, sizes, None))
    for raw in raws:
        conn.send_bytes(raw)


def receive(conn: Connection) -> Any:
    how, data, sizes, path = conn.recv()
    buffers: list[Any] = []
    if how == "shm":
        try:
            with open(path, "rb") as handle:
                mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_COPY)
        finally:
            os.unlink(path)  # the mapping stays valid; the memory goes with the arrays
        view = memoryview(mapped)
        offset = 0
        for size in sizes:
            buffers.append(view[offset : offset + size])
            offset += size
    else:
        for size in sizes:
            buffer = bytearray(size)
            conn.recv_bytes_into(buffer)
            buffers.append(buffer)
    return pickle.loads(data, buffers=buffers)


def _write_shm(raws: list[memoryview]) -> str | None:
    path = f"{shm_prefix(os.getpid())}{next(_counter)}"
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "wb") as handle:
            for raw in raws:
                handle.write(raw)
    except OSError:
        os.unlink(path)
        return None
    return path


def remove_leftovers(pid: int) -> None:
    """Files a killed worker wrote but nobody read."""
    for path in glob.glob(shm_prefix(pid) + "*"):
        with contextlib.suppress(OSError):
            os.unlink(path)
