"""Uploads written to disk as they arrive, with their size counted and their SHA-256
computed on the way, then stored content-addressed (the same bytes are kept once)."""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from dd_contracts.catalogue import ErrorType
from dd_gateway.core.errors import GatewayError

HEAD_BYTES = 4096


@dataclass(frozen=True)
class StoredUpload:
    path: Path
    sha256: str
    size_bytes: int
    head: bytes


class IncomingMedia:
    """One upload being written; `commit` moves it to its content address."""

    def __init__(self, store: MediaStore, max_bytes: int) -> None:
        self.store = store
        self.max_bytes = max_bytes
        self.tmp = store.incoming / uuid.uuid4().hex
        self._out = self.tmp.open("wb")
        self._digest = hashlib.sha256()
        self.size = 0
        self.head = b""

    def write(self, chunk: bytes | memoryview) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise too_large(self.max_bytes)
        if len(self.head) < HEAD_BYTES:
            self.head += bytes(chunk[: HEAD_BYTES - len(self.head)])
        self._digest.update(chunk)
        self._out.write(chunk)

    def commit(self) -> StoredUpload:
        self._out.close()
        if self.size == 0:
            raise GatewayError.of(ErrorType.empty_media, "The uploaded file is empty.")
        sha = self._digest.hexdigest()
        final = self.store.path_for(sha)
        os.replace(self.tmp, final)
        return StoredUpload(path=final, sha256=sha, size_bytes=self.size, head=self.head)

    def discard(self) -> None:
        self._out.close()
        self.tmp.unlink(missing_ok=True)


class MediaStore:
    def __init__(self, root: Path, replica_id: str = "local") -> None:
        self.root = root
        # Per replica: replicas share the media folder, and each clears only its own
        # half-written uploads when it starts.
        self.incoming = root / "incoming" / replica_id
        self.media = root / "media"
        self.incoming.mkdir(parents=True, exist_ok=True)
        self.media.mkdir(parents=True, exist_ok=True)
        # Half-written uploads of a previous process are garbage.
        for leftover in self.incoming.iterdir():
            leftover.unlink(missing_ok=True)

    def path_for(self, sha256: str) -> Path:
        return self.media / sha256

    def begin(self, max_bytes: int) -> IncomingMedia:
        return IncomingMedia(self, max_bytes)

    def delete(self, path: Path) -> None:
        # Only ever inside our own media folder, whatever a stored row says.
        if path.parent == self.media:
            path.unlink(missing_ok=True)


def too_large(max_bytes: int, what: str = "upload") -> GatewayError:
    return GatewayError.of(
        ErrorType.payload_too_large,
        f"The {what} is larger than the limit of {_size(max_bytes)}.",
    )


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n >= 1024 * 1024 else f"{n:,} bytes"
