"""One limits table shared by the gateway (refuses at upload) and the services (refuse at
decode), so a file the gateway accepts is never refused later by a service for the same
reason. Override per deployment with environment variables ``DD_LIMIT_<FIELD>`` (read by
``MediaLimits.from_env``); every app reads the same variables.
"""

from __future__ import annotations

import os

from pydantic import BaseModel, Field


class MediaLimits(BaseModel):
    # Bytes per media kind
    max_image_bytes: int = Field(default=50 * 1024 * 1024, ge=1)
    max_audio_bytes: int = Field(default=200 * 1024 * 1024, ge=1)
    max_video_bytes: int = Field(default=512 * 1024 * 1024, ge=1)
    # Images: pixels (width × height) and decoded bytes (pixels × channels × sample size)
    max_image_pixels: int = Field(default=40_000_000, ge=1)
    max_image_decoded_bytes: int = Field(default=512 * 1024 * 1024, ge=1)
    min_image_side: int = Field(default=16, ge=1)
    # Audio and video
    max_duration_s: float = Field(default=600.0, gt=0)
    max_video_pixels: int = Field(default=2560 * 1600, ge=1)
    min_video_side: int = Field(default=16, ge=1)
    max_video_fps: float = Field(default=240.0, gt=0)
    # Declared structure against file size (cheap sanity checks before any parser runs)
    max_declared_samples: int = Field(default=2_000_000, ge=1)
    max_packets: int = Field(default=1_000_000, ge=1)
    max_packets_per_second: float = Field(default=1000.0, gt=0)  # all streams together
    max_container_boxes: int = Field(default=100_000, ge=1)
    max_image_chunks: int = Field(default=10_000, ge=1)
    # Bounded parsing: what a worker process parsing untrusted media may use
    parse_memory_bytes: int = Field(default=2 * 1024 * 1024 * 1024, ge=64 * 1024 * 1024)
    parse_cpu_s: float = Field(default=60.0, gt=0)
    parse_wall_s: float = Field(default=120.0, gt=0)

    def max_bytes(self, kind: str) -> int:
        return {
            "image": self.max_image_bytes,
            "audio": self.max_audio_bytes,
            "video": self.max_video_bytes,
        }.get(kind, self.max_upload_bytes)

    @property
    def max_upload_bytes(self) -> int:
        """The largest upload of any kind (the gateway stops streaming past this)."""
        return max(self.max_image_bytes, self.max_audio_bytes, self.max_video_bytes)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> MediaLimits:
        env = os.environ if environ is None else environ
        values = {
            name: env[f"DD_LIMIT_{name.upper()}"]
            for name in cls.model_fields
            if f"DD_LIMIT_{name.upper()}" in env
        }
        return cls.model_validate(values)
