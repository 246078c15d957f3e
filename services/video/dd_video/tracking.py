"""Link face boxes across samples so each person gets one track id.

Samples are ~1 s apart, so faces can move a lot between them: a pair matches on IoU, or,
failing that, when the centres are within 0.8 face sizes and the sizes agree (a head that
slid sideways; at 1 fps a head can move most of its width between
samples). Assignment is optimal (Hungarian, scipy) over that similarity. A track
survives ``max_missed`` samples without a match (a blink of the detector, a head turned
away) before it is closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from dd_face.types import FaceBox


@dataclass
class TrackedFace:
    sample_index: int
    t_s: float
    box: FaceBox
    track_id: int = -1


@dataclass
class _Track:
    track_id: int
    last_box: FaceBox
    last_sample: int
    faces: list[TrackedFace] = field(default_factory=list)


def iou(a: FaceBox, b: FaceBox) -> float:
    ix = max(0.0, min(a.x2, b.x2) - max(a.x1, b.x1))
    iy = max(0.0, min(a.y2, b.y2) - max(a.y1, b.y1))
    inter = ix * iy
    union = a.width * a.height + b.width * b.height - inter
    return inter / union if union > 0 else 0.0


def similarity(a: FaceBox, b: FaceBox, min_iou: float = 0.2, max_shift: float = 0.8) -> float:
    """IoU when it is at least ``min_iou``; otherwise a smaller score for boxes of similar
    size whose centres are within ``max_shift`` face sizes; 0 when they cannot be the same
    face. Two people side by side are at least ~1.5 face widths apart, and the optimal
    assignment keeps a near neighbour from stealing a track anyway."""
    overlap = iou(a, b)
    if overlap >= min_iou:
        return overlap
    size_a = max(a.width, a.height, 1e-6)
    size_b = max(b.width, b.height, 1e-6)
    if not 0.67 <= size_a / size_b <= 1.5:
        return 0.0
    dx = (a.x1 + a.x2 - b.x1 - b.x2) / 2
    dy = (a.y1 + a.y2 - b.y1 - b.y2) / 2
    dist = float(np.hypot(dx, dy)) / max(size_a, size_b)
    if dist > max_shift:
        return 0.0
    return min_iou * (1.0 - dist)  # always below a real IoU match


class IouTracker:
    def __init__(self, min_iou: float = 0.2, max_missed: int = 2) -> None:
        self.min_iou = min_iou
        self.max_missed = max_missed
        self._tracks: list[_Track] = []
        self._closed: list[_Track] = []
        self._next_id = 0

    def update(self, sample_index: int, t_s: float, boxes: Sequence[FaceBox]) -> list[TrackedFace]:
        """Assign the faces of one sample (samples must arrive in order)."""
        alive = []
        for track in self._tracks:
            if sample_index - track.last_sample - 1 > self.max_missed:
                self._closed.append(track)
            else:
                alive.append(track)
        self._tracks = alive
        faces = [TrackedFace(sample_index, t_s, box) for box in boxes]
        matched: set[int] = set()
        if self._tracks and faces:
            sim = np.array(
                [[similarity(t.last_box, f.box, self.min_iou) for f in faces] for t in self._tracks]
            )
            rows, cols = linear_sum_assignment(-sim)
            for r, c in zip(rows, cols, strict=True):
                if sim[r, c] <= 0:
                    continue
                track = self._tracks[r]
                faces[c].track_id = track.track_id
                track.last_box = faces[c].box
                track.last_sample = sample_index
                track.faces.append(faces[c])
                matched.add(c)
        for c, face in enumerate(faces):
            if c in matched:
                continue
            face.track_id = self._next_id
            self._tracks.append(_Track(self._next_id, face.box, sample_index, [face]))
            self._next_id += 1
        return faces

    def tracks(self) -> dict[int, list[TrackedFace]]:
        """Every track so far, by id, each face list in sample order."""
        everything = self._closed + self._tracks
        return {t.track_id: list(t.faces) for t in sorted(everything, key=lambda t: t.track_id)}
