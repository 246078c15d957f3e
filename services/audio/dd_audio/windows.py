"""Cut a clip into AASIST's 64,600-sample windows and tell speech from silence.

Hop: the default 48,450 samples (3.03 s, 25 % overlap). AASIST costs ~all of the analysis
time and scales with the number of windows, so overlap is sized to need: the overlap keeps
an event at a window edge from being seen only in fragments, and no instant is missed.
Measured on spliced TTS, AASIST marks a window fake only when synthetic speech fills most
of it, so a 3 s sentence is one fake window at 25 % *and* at 50 % overlap (50 % costs 1.5x),
while a >= 5 s synthetic passage is two or more at 25 %; that is what ``aggregate.py`` asks
for before it flips a clip.

Edges: the last window is aligned to the end of the clip (it overlaps its neighbour more)
instead of being padded, so every window of a clip >= 4.04 s is real audio. A clip shorter
than one window is repeat-padded, as the AASIST authors do at evaluation: the model never
saw zero padding, and digital silence is itself a spoofing cue in its training data.

Speech: a 25 ms frame is active when its RMS is above both an absolute floor (-50 dBFS)
and the clip's loud level (95th percentile) minus 40 dB; a window is speech when at least
10 % of its frames are active (~0.4 s). This is an energy gate, not a VAD: it reliably
drops silence and near-silence, which is all AASIST needs (it scores any sound).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WINDOW = 64_600
DEFAULT_HOP = 48_450
FRAME = 400  # 25 ms at 16 kHz
ABS_FLOOR_DB = -50.0
REL_FLOOR_DB = 40.0
MIN_ACTIVE_FRACTION = 0.10


@dataclass(frozen=True)
class Window:
    start: int  # sample index in the clip
    end: int  # exclusive; < start + WINDOW only for a clip shorter than WINDOW
    speech: bool
    active_fraction: float


def plan(n_samples: int, hop: int = DEFAULT_HOP, size: int = WINDOW) -> list[tuple[int, int]]:
    """(start, end) of each window; the last one ends at the clip's end."""
    if hop <= 0 or hop > size:
        raise ValueError(f"hop must be in 1..{size}, got {hop}")
    if n_samples <= 0:
        return []
    if n_samples <= size:
        return [(0, n_samples)]
    starts = list(range(0, n_samples - size + 1, hop))
    if starts[-1] + size < n_samples:
        starts.append(n_samples - size)
    return [(s, s + size) for s in starts]


def frame_db(samples: np.ndarray, frame: int = FRAME) -> np.ndarray:
    """RMS level in dBFS of each whole frame (the tail shorter than a frame is dropped)."""
    n = len(samples) // frame
    if n == 0:
        return np.full(1, -120.0)
    frames = samples[: n * frame].reshape(n, frame).astype(np.float64)
    rms = np.sqrt(np.mean(frames * frames, axis=1))
    return 20.0 * np.log10(np.maximum(rms, 1e-6))


def active_frames(samples: np.ndarray) -> np.ndarray:
    """Boolean per 25 ms frame: holds sound above the absolute and relative floors."""
    levels = frame_db(samples)
    loud = float(np.percentile(levels, 95))
    return levels > max(ABS_FLOOR_DB, loud - REL_FLOOR_DB)


def split(samples: np.ndarray, hop: int = DEFAULT_HOP) -> list[Window]:
    """Windows over ``samples`` with a speech/silence decision for each."""
    active = active_frames(samples)
    out = []
    for start, end in plan(len(samples), hop):
        frames = active[start // FRAME : max(start // FRAME + 1, end // FRAME)]
        fraction = float(np.mean(frames)) if frames.size else 0.0
        out.append(Window(start, end, fraction >= MIN_ACTIVE_FRACTION, fraction))
    return out


def speech_ratio(samples: np.ndarray) -> float:
    """Fraction of the clip's 25 ms frames that hold sound."""
    return float(np.mean(active_frames(samples)))


def extract(samples: np.ndarray, window: Window, size: int = WINDOW) -> np.ndarray:
    """The window's samples as a float32 array of exactly ``size`` (repeat-padded if short)."""
    chunk = samples[window.start : window.end]
    if len(chunk) < size:
        chunk = np.tile(chunk, size // max(len(chunk), 1) + 1)[:size]
    return np.ascontiguousarray(chunk, dtype=np.float32)
