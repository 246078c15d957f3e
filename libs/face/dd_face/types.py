"""Plain result types of the face detectors (no pydantic: these never cross HTTP)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FaceBox:
    """A detected face in pixel coordinates of the frame it was found in."""

    x1: float
    y1: float
    x2: float
    y2: float
    confidence: float

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1


@dataclass(frozen=True)
class FaceScore:
    """Forgery score of one face crop: the ensemble's P(fake) and each member's."""

    fake_probability: float
    per_model: dict[str, float] = field(default_factory=dict)
