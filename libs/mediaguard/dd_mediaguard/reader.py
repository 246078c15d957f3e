"""Bounded random access to a file: every read names its offset and length, and reading
past the end returns what is there (callers decide whether a short read is corruption)."""

from __future__ import annotations

import mmap
import struct
from pathlib import Path
from types import TracebackType


class Reader:
    def __init__(self, path: Path) -> None:
        self._handle = Path(path).open("rb")  # noqa: SIM115 (closed by close())
        self.size = self._handle.seek(0, 2)
        # mmap: a walker jumps from header to header without reading the payloads between.
        self._map = (
            mmap.mmap(self._handle.fileno(), 0, access=mmap.ACCESS_READ) if self.size else None
        )

    def __enter__(self) -> Reader:
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
        self._handle.close()

    def read(self, offset: int, length: int) -> bytes:
        if self._map is None or offset >= self.size or offset < 0 or length <= 0:
            return b""
        return self._map[offset : offset + length]

    def unpack(self, fmt: str, offset: int) -> tuple[int, ...] | None:
        """``struct.unpack`` at ``offset``, or None when the file ends first."""
        size = struct.calcsize(fmt)
        data = self.read(offset, size)
        if len(data) < size:
            return None
        return struct.unpack(fmt, data)

    def find(self, needle: bytes, start: int, end: int) -> int:
        if self._map is None:
            return -1
        return self._map.find(needle, start, end)
