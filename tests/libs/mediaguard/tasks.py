"""Functions the pool tests run in workers (importable by name, as workers need)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import numpy as np

from dd_inference import MediaRejected


def pixels(side: int) -> np.ndarray:
    return np.arange(side * side * 3, dtype=np.uint32).astype(np.uint8).reshape(side, side, 3)


def refuse(type_: str) -> None:
    raise MediaRejected(type_, "refused in the worker")


def fail() -> None:
    raise ValueError("a bug in the parser")


def allocate(megabytes: int) -> int:
    block = np.ones(megabytes * 1024 * 1024, dtype=np.uint8)  # touched: really resident
    return int(block.sum())


def spin(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def sleep(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def pid() -> int:
    return os.getpid()


def frames(count: int, side: int) -> Iterator[np.ndarray]:
    for index in range(count):
        yield np.full((side, side, 3), index, dtype=np.uint8)


def parser_out_of_memory() -> None:
    """What a decode module does when FFmpeg fails an allocation: a read error → 422."""
    import errno

    try:
        raise OSError(errno.ENOMEM, "Cannot allocate memory")
    except OSError as exc:
        raise MediaRejected("corrupt_media", "The video could not be read.") from exc
