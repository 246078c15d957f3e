"""Evidence pictures (spectrograms, video thumbnails, the upload's thumbnail) stored as
files and referenced from the document by URL, instead of inline base64.

A file's content never changes once written (its name is only ever written once per
analysis), so it is served as immutable and cacheable forever.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import shutil
from pathlib import Path

from dd_contracts import AudioEvidence, ModalityResult, VideoEvidence

log = logging.getLogger(__name__)
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,79}$")
_ID = re.compile(r"^[0-9a-f]{32}$")
IMAGE_THUMBNAIL = "thumbnail.jpg"


def artifact_url(analysis_id: str, name: str) -> str:
    return f"/v1/analyses/{analysis_id}/artifacts/{name}"


def valid_name(name: str) -> bool:
    return bool(_NAME.match(name)) and ".." not in name


class ArtifactStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _folder(self, analysis_id: str) -> Path | None:
        return self.root / analysis_id if _ID.match(analysis_id) else None

    def put(self, analysis_id: str, name: str, data: bytes) -> str:
        folder = self._folder(analysis_id)
        if folder is None or not valid_name(name):
            raise ValueError(f"bad artifact address {analysis_id}/{name}")
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{name}.part"
        tmp.write_bytes(data)
        tmp.replace(folder / name)
        return artifact_url(analysis_id, name)

    def path(self, analysis_id: str, name: str) -> Path | None:
        folder = self._folder(analysis_id)
        if folder is None or not valid_name(name):
            return None
        path = folder / name
        return path if path.is_file() else None

    def delete_all(self, analysis_id: str) -> None:
        folder = self._folder(analysis_id)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

    def externalize(self, analysis_id: str, result: ModalityResult) -> None:
        """Move a result's inline pictures into files; the document keeps their URLs.
        A result that already carries URLs (a service that stores its own) is left as is."""
        evidence = result.evidence
        prefix = result.modality
        if isinstance(evidence, AudioEvidence) and evidence.spectrogram_png_base64:
            data = _decode(evidence.spectrogram_png_base64)
            if data is not None:
                evidence.spectrogram_url = self.put(analysis_id, f"{prefix}-spectrogram.png", data)
            evidence.spectrogram_png_base64 = None
        if isinstance(evidence, VideoEvidence):
            for index, thumbnail in enumerate(evidence.thumbnails):
                if not thumbnail.jpeg_base64:
                    continue
                data = _decode(thumbnail.jpeg_base64)
                if data is not None:
                    thumbnail.url = self.put(analysis_id, f"{prefix}-thumb-{index}.jpg", data)
                thumbnail.jpeg_base64 = None


def _decode(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        log.warning("a service sent an evidence picture that is not base64")
        return None


def first_thumbnail(results: list[ModalityResult]) -> str | None:
    for result in results:
        if isinstance(result.evidence, VideoEvidence):
            for thumbnail in result.evidence.thumbnails:
                if thumbnail.url:
                    return thumbnail.url
    return None
