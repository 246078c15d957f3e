"""Modalities as data: one table says which modalities exist, where each one's service
listens, how long it may take, which media kinds are routed to it and how much it weighs
in fusion. The gateway (routing, timeouts), the fusion service (weights) and
scripts/run_stack.py (what to start) all read this one table.

Adding a modality = one entry here (or in ``DD_MODALITIES``) + its service package.

Override per deployment with ``DD_MODALITIES``: a JSON list of entries; an entry whose
name exists replaces only the fields it gives, a new name adds a modality, and
``"url": null`` marks a modality as not deployed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

MODALITY_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
# A modality's name: any lowercase identifier (not a closed enum, so a new modality needs
# no contract change). The names in use are the keys of the modality table.
ModalityName = Annotated[str, Field(pattern=MODALITY_NAME_PATTERN, examples=["image"])]


class ModalitySpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: ModalityName
    url: str | None = Field(description="Base URL of its service; null: not deployed.")
    timeout_s: float = Field(gt=0, description="Per-call timeout of its service.")
    kinds: tuple[str, ...] = Field(description="Media kinds routed to it (image|audio|video).")
    weight: float = Field(default=1.0, ge=0, description="Fusion weight.")
    needs_sound: bool = Field(
        default=False,
        description="Judges a sound track: skipped (no_signal) for media sniffed as silent.",
    )
    # How scripts/run_stack.py starts it.
    module: str | None = Field(default=None, description="python -m MODULE serves it.")
    port: int | None = Field(default=None, description="Default port (the URL's).")
    env_prefix: str | None = Field(default=None, description="Its settings' env prefix.")


DEFAULT_MODALITIES: tuple[ModalitySpec, ...] = (
    ModalitySpec(
        name="image",
        url="http://127.0.0.1:8001",
        timeout_s=60.0,
        kinds=("image",),
        module="dd_image",
        port=8001,
        env_prefix="IMAGE_",
    ),
    ModalitySpec(
        name="audio",
        url="http://127.0.0.1:8002",
        timeout_s=300.0,
        # A video's sound track is judged by the audio service, which demuxes it itself.
        kinds=("audio", "video"),
        needs_sound=True,
        module="dd_audio",
        port=8002,
        env_prefix="AUDIO_",
    ),
    ModalitySpec(
        name="video",
        url="http://127.0.0.1:8003",
        timeout_s=600.0,
        kinds=("video",),
        module="dd_video",
        port=8003,
        env_prefix="VIDEO_",
    ),
)

ENV_VAR = "DD_MODALITIES"


class ModalityTable:
    """The modalities in force, in order (the order results and reports list them)."""

    def __init__(self, specs: tuple[ModalitySpec, ...] | list[ModalitySpec]) -> None:
        self._specs = {spec.name: spec for spec in specs}

    def __iter__(self) -> Iterator[ModalitySpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def get(self, name: str) -> ModalitySpec | None:
        return self._specs.get(name)

    @property
    def names(self) -> list[str]:
        return list(self._specs)

    def for_kind(self, kind: str) -> list[ModalitySpec]:
        """The modalities a media kind is routed to."""
        return [spec for spec in self if kind in spec.kinds]

    def weights(self) -> dict[str, float]:
        return {spec.name: spec.weight for spec in self}

    def merged(self, overrides: list[Mapping[str, Any]]) -> ModalityTable:
        """This table with entries replaced field by field, or added, by name."""
        specs = dict(self._specs)
        for entry in overrides:
            name = str(entry["name"])
            base = specs[name].model_dump() if name in specs else {}
            specs[name] = ModalitySpec.model_validate({**base, **entry})
        return ModalityTable(list(specs.values()))

    def with_urls(self, urls: Mapping[str, str | None]) -> ModalityTable:
        return self.merged([{"name": name, "url": url} for name, url in urls.items()])

    @classmethod
    def default(cls) -> ModalityTable:
        return cls(DEFAULT_MODALITIES)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ModalityTable:
        env = os.environ if environ is None else environ
        raw = env.get(ENV_VAR, "").strip()
        table = cls.default()
        if not raw:
            return table
        overrides = json.loads(raw)
        if not isinstance(overrides, list):
            raise ValueError(f"{ENV_VAR} must be a JSON list of modality entries")
        return table.merged(overrides)
