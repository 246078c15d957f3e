"""What a preflight learned about a file, from its structure alone (nothing decoded)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Facts:
    """``kind`` is 'image', 'audio', 'video' or None (a format preflight does not know;
    the real parser decides). Numbers are what the file *declares*, already checked
    against the limits; None where the format does not say or the walker did not look."""

    size: int
    container: str = "unknown"
    kind: str | None = None
    width: int | None = None
    height: int | None = None
    # Bytes one decoded copy of the pixels takes in the sample format the file declares
    # (width × height × channels × bytes per sample), before any conversion to RGB.
    decoded_bytes: int | None = None
    declared_samples: int | None = None  # MP4 sample tables: the largest track
    elements: int = 0  # boxes, chunks, segments or elements walked
    truncated: bool = False  # the structure points past the end of the file
    notes: list[str] = field(default_factory=list)
