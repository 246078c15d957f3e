"""Sampling times: rate, N evenly, cap, short clips, VFR, keyframe-only plans."""

from __future__ import annotations

import pytest

from dd_video import sampling
from dd_video.sampling import SamplingConfig


def test_one_fps_samples_the_middle_of_each_second() -> None:
    assert sampling.target_times(3.0, SamplingConfig(fps=1.0)) == [0.5, 1.5, 2.5]


def test_rate_is_configurable() -> None:
    times = sampling.target_times(2.0, SamplingConfig(fps=2.0))
    assert times == [0.25, 0.75, 1.25, 1.75]


def test_cap_spreads_samples_over_the_whole_clip() -> None:
    times = sampling.target_times(600.0, SamplingConfig(fps=1.0, max_samples=10))
    assert len(times) == 10
    assert times[0] == pytest.approx(30.0)
    assert times[-1] == pytest.approx(570.0)


def test_n_evenly_spread_frames() -> None:
    times = sampling.target_times(8.0, SamplingConfig(num_frames=4))
    assert times == [1.0, 3.0, 5.0, 7.0]


def test_very_short_clip_still_gets_one_sample() -> None:
    assert sampling.target_times(0.2, SamplingConfig(fps=1.0)) == [pytest.approx(0.1)]
    assert sampling.target_times(0.0, SamplingConfig(fps=1.0)) == [0.0]


def test_invalid_config_is_refused() -> None:
    with pytest.raises(ValueError):
        SamplingConfig(fps=0)
    with pytest.raises(ValueError):
        SamplingConfig(num_frames=0)


def test_nearest_frame_uses_times_not_indices() -> None:
    # Variable frame rate: dense at the start, one frame every 0.8 s later.
    times = [0.0, 0.04, 0.08, 0.12, 1.0, 1.8, 2.6]
    picks = sampling.nearest_indices(times, [0.5, 1.5, 2.5])
    assert [times[i] for i in picks] == [0.12, 1.8, 2.6]


def test_targets_on_one_sparse_frame_give_one_sample() -> None:
    assert sampling.nearest_indices([0.0, 5.0], [0.5, 1.5, 2.5, 4.9]) == [0, 1]


def test_keyframes_used_when_they_cover_every_slot() -> None:
    keys = [0.0, 1.0, 2.0, 3.0]
    assert sampling.keyframes_suffice(keys, [0.5, 1.5, 2.5], 1.0) is not None
    # 2 s GOP at 1 fps: two slots would share a keyframe -> decode normally.
    assert sampling.keyframes_suffice([0.0, 2.0, 4.0], [0.5, 1.5, 2.5, 3.5], 1.0) is None
    # 10 s GOP: the keyframe is far from most slots.
    assert sampling.keyframes_suffice([0.0], [0.5, 1.5], 1.0) is None


def test_merge_ranges_skips_gaps_and_merges_overlaps() -> None:
    assert sampling.merge_ranges([(0, 12), (0, 37), (50, 62), (63, 70), (100, 101)]) == [
        (0, 37),
        (50, 70),
        (100, 101),
    ]


def test_assign_lanes_deals_equal_gops_round_robin() -> None:
    # Five 10 s GOPs of a 48 s clip at 1 fps (the bench clip's ranges).
    ranges = [(0, 239), (250, 489), (500, 739), (750, 989), (1000, 1188)]
    assert sampling.assign_lanes(ranges, 2) == [[0, 2, 4], [1, 3]]
    assert sampling.assign_lanes(ranges, 3) == [[0, 3], [1, 4], [2]]


def test_assign_lanes_balances_the_packets_to_decode() -> None:
    # One long range, then short ones: the short ones all go to the other lane.
    ranges = [(0, 99), (100, 109), (110, 119), (120, 129), (130, 139)]
    assert sampling.assign_lanes(ranges, 2) == [[0], [1, 2, 3, 4]]


def test_assign_lanes_covers_every_range_once_in_order() -> None:
    ranges = [(start, start + (start * 7) % 13) for start in range(0, 400, 20)]
    for lanes in (1, 2, 3, 5, 40):
        groups = sampling.assign_lanes(ranges, lanes)
        assert len(groups) == min(lanes, len(ranges))
        assert sorted(p for group in groups for p in group) == list(range(len(ranges)))
        assert all(group == sorted(group) and group for group in groups)
        work = [sum(ranges[p][1] - ranges[p][0] + 1 for p in group) for group in groups]
        longest = max(end - start + 1 for start, end in ranges)
        assert max(work) - min(work) <= longest  # greedy: within one range of even


def test_assign_lanes_edge_cases() -> None:
    assert sampling.assign_lanes([], 2) == []
    assert sampling.assign_lanes([(0, 5)], 4) == [[0]]
    assert sampling.assign_lanes([(0, 5), (9, 9)], 1) == [[0, 1]]
    with pytest.raises(ValueError):
        sampling.assign_lanes([(0, 5)], 0)
