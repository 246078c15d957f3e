"""Settings for provenance inspection; every bound that protects us from hostile files.

Read from ``DD_PROVENANCE_<FIELD>`` environment variables by ``from_env``.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field


class ProvenanceSettings(BaseModel):
    # Whole inspect() wall time; sections not reached in time are reported 'unreadable'.
    time_budget_s: float = Field(default=2.0, gt=0)
    # C2PA validation runs in a worker thread bounded by this (native code can't be
    # interrupted; on timeout we stop waiting and report 'unreadable').
    c2pa_timeout_s: float = Field(default=1.5, gt=0)
    # Above this size we don't hand the file to the C2PA reader (hashing a huge video
    # would blow the time budget); the section is 'skipped' with the reason.
    c2pa_max_bytes: int = Field(default=256 * 1024 * 1024, ge=1)
    # Remote manifests (a URL in the file) are never fetched unless this is set.
    allow_remote_manifests: bool = False
    # Extra trust anchors (PEM bundle, or a path to one) for C2PA signers.
    trust_anchors_pem: str | None = None
    # Structural bounds for our own parsers.
    max_segments: int = Field(default=2000, ge=1, description="JPEG segments / PNG chunks.")
    max_xmp_bytes: int = Field(default=1024 * 1024, ge=1)
    max_exif_bytes: int = Field(default=256 * 1024, ge=1)
    max_ifd_entries: int = Field(default=1000, ge=1, description="Summed over all IFDs.")
    max_ifd_depth: int = Field(default=4, ge=1)
    max_text_chunk_bytes: int = Field(default=1024 * 1024, ge=1, description="Inflated.")
    max_text_chunks: int = Field(default=64, ge=1)
    max_container_tags: int = Field(default=64, ge=1)
    # Compression forensics.
    compression_forensics: bool = True
    ela_enabled: bool = True
    ela_quality: int = Field(default=90, ge=1, le=100)
    ela_max_side: int = Field(default=512, ge=64)
    ela_gain: float = Field(default=20.0, gt=0)
    double_jpeg_max_side: int = Field(default=512, ge=64, description="Analysed crop side.")
    double_jpeg_threshold: float = Field(default=0.25, ge=0, le=1)

    def trust_anchors(self) -> str | None:
        value = self.trust_anchors_pem
        if not value:
            return None
        if "-----BEGIN" in value:
            return value
        return Path(value).read_text()

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ProvenanceSettings:
        env = os.environ if environ is None else environ
        values = {
            name: env[f"DD_PROVENANCE_{name.upper()}"]
            for name in cls.model_fields
            if f"DD_PROVENANCE_{name.upper()}" in env
        }
        return cls.model_validate(values)
