"""Which frames of a video to look at: pure functions over presentation times.

Everything here works on timestamps in seconds (from packet pts), never on frame indices,
so variable-frame-rate clips are sampled at the right moments.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SamplingConfig:
    """``fps`` samples at a fixed rate; ``num_frames`` (when set) takes N evenly spread
    frames instead. Either way at most ``max_samples`` and at least one sample."""

    fps: float = 1.0
    num_frames: int | None = None
    max_samples: int = 180

    def __post_init__(self) -> None:
        if self.fps <= 0:
            raise ValueError("fps must be > 0")
        if self.num_frames is not None and self.num_frames < 1:
            raise ValueError("num_frames must be >= 1")
        if self.max_samples < 1:
            raise ValueError("max_samples must be >= 1")


def target_times(duration_s: float, config: SamplingConfig) -> list[float]:
    """Moments to sample, in seconds from the first frame.

    Each sample sits in the middle of its slot ((k + 0.5) * step) rather than at the
    slot's start: the first and last frames of a clip are often black or fading, and
    centring keeps a clip shorter than one slot from sampling its very first frame.
    Over the cap the rate drops: the samples are then spread evenly over the whole clip.
    """
    duration_s = max(0.0, duration_s)
    if config.num_frames is not None:
        count = max(1, min(config.num_frames, config.max_samples))
        step = duration_s / count
    else:
        slots = math.floor(duration_s * config.fps + 1e-9)
        count = max(1, min(slots, config.max_samples))
        step = 1.0 / config.fps if count == slots else duration_s / count
    return [(k + 0.5) * step for k in range(count)]


def nearest_indices(times: Sequence[float], targets: Sequence[float]) -> list[int]:
    """Index into the sorted ``times`` of the frame nearest each target, deduplicated and
    in order (two targets that fall on the same sparse VFR frame give one sample)."""
    if not times:
        return []
    chosen: list[int] = []
    for target in targets:
        right = bisect.bisect_left(times, target)
        if right == 0:
            best = 0
        elif right == len(times):
            best = len(times) - 1
        else:
            left = right - 1
            best = left if target - times[left] <= times[right] - target else right
        if not chosen or chosen[-1] != best:
            chosen.append(best)
    return sorted(set(chosen))


def keyframes_suffice(
    keyframe_times: Sequence[float], targets: Sequence[float], step_s: float
) -> list[int] | None:
    """Indices into ``keyframe_times`` to use instead of decoding every frame, or None.

    Keyframes decode on their own, so when every target has a distinct keyframe within
    half a sampling step the decoder can skip all other frames (skip_frame='NONKEY'):
    that is the common case for phone and streaming video (1–2 s GOPs) at <= 1 fps.
    The half-step tolerance keeps each sample inside its own slot, so the timeline is
    no coarser than asked; otherwise we return None and the caller decodes normally.
    """
    if not keyframe_times or not targets:
        return None
    picks = []
    for target in targets:
        (index,) = nearest_indices(keyframe_times, [target])
        if abs(keyframe_times[index] - target) > 0.5 * step_s + 1e-6:
            return None
        picks.append(index)
    if len(set(picks)) != len(picks):
        return None
    return picks


def sample_step(targets: Sequence[float], duration_s: float) -> float:
    """The spacing between consecutive samples (the whole clip for a single sample)."""
    if len(targets) >= 2:
        return targets[1] - targets[0]
    return max(duration_s, 1e-3)


def merge_ranges(ranges: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merge inclusive packet ranges (decode order) that overlap or touch.

    Each range runs from the keyframe a chosen frame depends on to the frame itself; the
    decoder sees only the merged ranges and is flushed between them, which is what a
    seek would do but without a seek's imprecision."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def assign_lanes(ranges: Sequence[tuple[int, int]], lanes: int) -> list[list[int]]:
    """Share the merged packet ranges out among ``lanes`` decoders that run side by side.

    Returns, per lane, the positions (into ``ranges``) it decodes, ascending; lanes
    that would get nothing are left out, so the result has ``min(lanes, len(ranges))``
    entries. Each range starts at a keyframe and is decoded from a flushed decoder, so
    any range can go to any lane with the same frames coming out. Ranges are dealt in
    order to the lane with the least work so far (packets in its ranges; ties to the
    lowest lane): equal GOPs go round-robin, so the lanes move through the clip side by
    side and samples come back in time order with little waiting.
    """
    if lanes < 1:
        raise ValueError("lanes must be >= 1")
    count = min(lanes, len(ranges))
    work = [0] * count
    assigned: list[list[int]] = [[] for _ in range(count)]
    for pos, (start, end) in enumerate(ranges):
        lane = min(range(count), key=lambda i: (work[i], i))
        assigned[lane].append(pos)
        work[lane] += end - start + 1
    return assigned
