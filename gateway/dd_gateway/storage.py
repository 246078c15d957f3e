"""Uploads streamed to disk with their size counted and their SHA-256 computed on the
way, then stored content-addressed (the same bytes are kept once)."""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from fastapi import UploadFile

from dd_gateway.errors import GatewayError

_CHUNK = 1 << 20
HEAD_BYTES = 4096


@dataclass(frozen=True)
class StoredUpload:
    path: Path
    sha256: str
    size_bytes: int
    head: bytes


class MediaStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.incoming = root / "incoming"
        self.media = root / "media"
        self.incoming.mkdir(parents=True, exist_ok=True)
        self.media.mkdir(parents=True, exist_ok=True)

    async def save(self, upload: UploadFile, max_bytes: int) -> StoredUpload:
        digest = hashlib.sha256()
        size = 0
        head = b""
        tmp = self.incoming / uuid.uuid4().hex
        try:
            with tmp.open("wb") as out:
                while chunk := await upload.read(_CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise too_large(max_bytes)
                    if len(head) < HEAD_BYTES:
                        head += chunk[: HEAD_BYTES - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
            if size == 0:
                raise GatewayError(
                    "The uploaded file is empty.", type="empty_media", status_code=400
                )
            sha = digest.hexdigest()
            final = self.media / sha
            os.replace(tmp, final)
            return StoredUpload(path=final, sha256=sha, size_bytes=size, head=head)
        finally:
            tmp.unlink(missing_ok=True)


def too_large(max_bytes: int) -> GatewayError:
    return GatewayError(
        f"The upload is larger than the limit of {max_bytes // (1024 * 1024)} MiB.",
        type="payload_too_large",
        status_code=413,
    )
