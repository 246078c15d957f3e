"""multipart/form-data built as a stream from the file: a 1 GB file is sent in 1 MiB
chunks, never read into memory, with an exact Content-Length (so the gateway can refuse an
over-limit upload before reading it) and a progress callback per chunk."""

from __future__ import annotations

import asyncio
import mimetypes
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1024 * 1024
FIELD = "file"

ProgressFn = Callable[[int], None]
"""Called with the number of file bytes just sent."""


def _quote(name: str) -> str:
    # The same escaping browsers and httpx use in a Content-Disposition filename.
    return name.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


@dataclass(frozen=True)
class MultipartFile:
    path: Path
    boundary: str
    head: bytes
    tail: bytes
    size: int

    @classmethod
    def of(cls, path: str | os.PathLike[str], filename: str | None = None) -> MultipartFile:
        path = Path(path)
        size = path.stat().st_size
        boundary = uuid.uuid4().hex
        name = filename or path.name
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        head = (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="{FIELD}"; filename="{_quote(name)}"\r\n'
            f"Content-Type: {mime}\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        return cls(path, boundary, head, tail, size)

    @property
    def headers(self) -> dict[str, str]:
        return {
            "Content-Type": f"multipart/form-data; boundary={self.boundary}",
            "Content-Length": str(len(self.head) + self.size + len(self.tail)),
        }

    def stream(self, progress: ProgressFn | None = None) -> Iterator[bytes]:
        yield self.head
        with self.path.open("rb") as file:
            while chunk := file.read(CHUNK):
                yield chunk
                if progress:
                    progress(len(chunk))
        yield self.tail

    async def astream(self, progress: ProgressFn | None = None) -> AsyncIterator[bytes]:
        yield self.head
        with self.path.open("rb") as file:
            # Reads run in a thread so that many concurrent uploads do not stall the loop.
            while chunk := await asyncio.to_thread(file.read, CHUNK):
                yield chunk
                if progress:
                    progress(len(chunk))
        yield self.tail
