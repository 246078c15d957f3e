"""The detector registry: name -> factory, so services are assembled from settings.

A detector module registers itself once, next to its class::

    @register("mtcnn", kind=DetectorKind.face_detector, options=MtcnnOptions)
    def _mtcnn(context: DetectorContext, options: MtcnnOptions) -> MtcnnFaceDetector:
        return MtcnnFaceDetector(**options.model_dump(), threads=context.threads)

and a service enables it by name in its settings (``IMAGE_DETECTORS=mtcnn,mesonet_ensemble``,
per-detector options as ``IMAGE_DETECTOR_OPTIONS__MTCNN__MIN_CONFIDENCE=0.95``). The
``kind`` says where in a service's pipeline a detector plugs in; the service refuses at
start-up a detector whose kind it has no place for, and options it does not know.

Names are case-insensitive and '-' equals '_' (environment variables cannot hold '-').
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeAlias, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from dd_inference.detector import Detector

AnyDetector: TypeAlias = Detector[Any, Any]


class DetectorKind(StrEnum):
    """Where a detector plugs in, and so what it takes and returns."""

    face_detector = "face_detector"  # RGB uint8 frame -> list[dd_face.FaceBox]
    face_classifier = "face_classifier"  # square RGB face crop -> P(fake) or dd_face.FaceScore
    image_classifier = "image_classifier"  # whole RGB picture -> P(fake)
    audio_window = "audio_window"  # 64,600-sample 16 kHz mono window -> P(fake)
    video_track = "video_track"  # one face track's crops, in time order -> P(fake)


class NoOptions(BaseModel):
    """For detectors without options: any option given is a configuration error."""

    model_config = ConfigDict(extra="forbid")


class DetectorConfigError(ValueError):
    """Settings name an unknown detector, one the service cannot use, or bad options."""


@dataclass(frozen=True)
class DetectorContext:
    """What every factory may use: where weights are, how many threads, and the registry
    (so a composite detector, such as an ensemble, can build its members by name)."""

    models_dir: Path
    threads: int
    registry: DetectorRegistry


OptionsT = TypeVar("OptionsT", bound=BaseModel)
Factory = Callable[[DetectorContext, Any], AnyDetector]


@dataclass(frozen=True)
class Registration:
    name: str
    kind: DetectorKind
    factory: Factory
    options: type[BaseModel]
    summary: str


@dataclass(frozen=True)
class Plugged:
    """A built detector with the registry name and kind it was built under."""

    name: str
    kind: DetectorKind
    detector: AnyDetector


def normalise(name: str) -> str:
    return name.strip().lower().replace("-", "_")


class DetectorRegistry:
    def __init__(self) -> None:
        self._entries: dict[str, Registration] = {}

    def add(self, registration: Registration, replace: bool = False) -> None:
        key = normalise(registration.name)
        if key in self._entries and not replace:
            raise ValueError(f"a detector named {key!r} is already registered")
        self._entries[key] = registration

    def register(
        self,
        name: str,
        *,
        kind: DetectorKind,
        options: type[OptionsT] | type[NoOptions] = NoOptions,
        summary: str = "",
        replace: bool = False,
    ) -> Callable[[Callable[[DetectorContext, Any], AnyDetector]], Callable[..., AnyDetector]]:
        """Decorator registering ``factory(context, options)`` under ``name``."""

        def decorate(
            factory: Callable[[DetectorContext, Any], AnyDetector],
        ) -> Callable[..., AnyDetector]:
            doc = (factory.__doc__ or "").strip().splitlines()
            self.add(
                Registration(normalise(name), kind, factory, options, summary or "".join(doc[:1])),
                replace=replace,
            )
            return factory

        return decorate

    def remove(self, name: str) -> None:
        self._entries.pop(normalise(name), None)

    def get(self, name: str) -> Registration:
        try:
            return self._entries[normalise(name)]
        except KeyError:
            raise DetectorConfigError(
                f"no detector named {name!r} is registered; known: {', '.join(self.names())}"
            ) from None

    def names(self, kind: DetectorKind | None = None) -> list[str]:
        return sorted(n for n, r in self._entries.items() if kind is None or r.kind == kind)

    def build(
        self, name: str, context: DetectorContext, options: Mapping[str, Any] | None = None
    ) -> Plugged:
        registration = self.get(name)
        given = dict(options or {})
        unknown = sorted(set(given) - set(registration.options.model_fields))
        if unknown:  # a misspelt option must not be silently ignored
            raise DetectorConfigError(
                f"options for detector {name!r}: unknown {unknown}; "
                f"known: {sorted(registration.options.model_fields)}"
            )
        try:
            parsed = registration.options.model_validate(given)
        except ValidationError as exc:
            raise DetectorConfigError(f"options for detector {name!r}: {exc}") from exc
        return Plugged(registration.name, registration.kind, registration.factory(context, parsed))

    def build_all(
        self,
        names: Sequence[str],
        context: DetectorContext,
        options: Mapping[str, Mapping[str, Any]] | None = None,
        accepts: Iterable[DetectorKind] | None = None,
    ) -> list[Plugged]:
        """Build each named detector with its options; refuse kinds not in ``accepts``
        and options given for detectors that are not enabled (a typo would be silent)."""
        options = {normalise(k): v for k, v in (options or {}).items()}
        wanted = [normalise(n) for n in names if n.strip()]
        if len(set(wanted)) != len(wanted):
            raise DetectorConfigError(f"a detector is listed twice: {list(names)}")
        stray = sorted(set(options) - set(wanted))
        if stray:
            raise DetectorConfigError(
                f"options given for detectors that are not enabled: {stray} (enabled: {wanted})"
            )
        allowed = set(accepts) if accepts is not None else set(DetectorKind)
        built = []
        for name in wanted:
            kind = self.get(name).kind
            if kind not in allowed:
                raise DetectorConfigError(
                    f"detector {name!r} is a {kind.value}; this service plugs in only "
                    f"{sorted(k.value for k in allowed)}"
                )
            built.append(self.build(name, context, options.get(name)))
        return built


REGISTRY = DetectorRegistry()
"""The process-wide registry every service builds from."""

register = REGISTRY.register


def import_detector_modules(modules: Iterable[str]) -> None:
    """Import modules whose import registers detectors (out-of-tree plug-ins named in
    settings, e.g. ``IMAGE_DETECTOR_MODULES=my_lab.detectors``)."""
    for module in modules:
        if module.strip():
            importlib.import_module(module.strip())
