"""merge_lanes: items back in range order whichever lane made them, errors raised at
their turn, lanes stopped when the consumer stops, memory bounded by the lane depth."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence

import pytest

from dd_video.lanes import merge_lanes


def fake_decoder(
    items_per_range: dict[int, int],
    delay: dict[int, float] | None = None,
    fail_at: tuple[int, int] | None = None,
    made: list[tuple[int, int]] | None = None,
):
    """A lane decoder yielding (pos, (pos, k)) for k < items_per_range[pos]; sleeps
    ``delay[pos]`` before each item of range pos; raises at (pos, k) == fail_at."""

    def decode(positions: Sequence[int], stop: threading.Event) -> Iterator[tuple[int, object]]:
        for pos in positions:
            for k in range(items_per_range[pos]):
                if stop.is_set():
                    return
                time.sleep((delay or {}).get(pos, 0.0))
                if (pos, k) == fail_at:
                    raise ValueError(f"bad packet in range {pos}")
                if made is not None:
                    made.append((pos, k))
                yield pos, (pos, k)

    return decode


def test_items_come_back_in_range_order() -> None:
    counts = {0: 3, 1: 2, 2: 0, 3: 4, 4: 1}
    # Lane 1 is much faster than lane 0: its items still wait for their turn.
    decode = fake_decoder(counts, delay={0: 0.02, 2: 0.02, 4: 0.02})
    got = list(merge_lanes([[0, 2, 4], [1, 3]], decode))
    assert got == [(pos, k) for pos in sorted(counts) for k in range(counts[pos])]


def test_lanes_really_run_side_by_side() -> None:
    counts = {pos: 5 for pos in range(4)}
    decode = fake_decoder(counts, delay={pos: 0.02 for pos in range(4)})
    start = time.perf_counter()
    assert len(list(merge_lanes([[0, 2], [1, 3]], decode, depth=8))) == 20
    one_lane = 20 * 0.02
    assert time.perf_counter() - start < 0.8 * one_lane


def test_an_error_is_raised_at_its_turn_after_the_ranges_before_it() -> None:
    counts = {0: 3, 1: 3, 2: 3}
    decode = fake_decoder(counts, delay={0: 0.02}, fail_at=(1, 1))
    got: list[object] = []
    with pytest.raises(ValueError, match="range 1"):
        for item in merge_lanes([[0, 2], [1]], decode):
            got.append(item)
    # Range 0 whole, then range 1 up to the bad item: as one decoder would have done.
    assert got == [(0, 0), (0, 1), (0, 2), (1, 0)]


def test_an_error_after_a_lanes_last_item_still_raises() -> None:
    def decode(positions: Sequence[int], stop: threading.Event) -> Iterator[tuple[int, object]]:
        for pos in positions:
            yield pos, pos
        if 1 in positions:
            raise RuntimeError("trailing failure")

    with pytest.raises(RuntimeError, match="trailing"):
        list(merge_lanes([[0, 2], [1]], decode))


def test_closing_early_stops_every_lane_and_bounds_run_ahead() -> None:
    made: list[tuple[int, int]] = []
    counts = {0: 1000, 1: 1000}
    decode = fake_decoder(counts, made=made)
    items = merge_lanes([[0], [1]], decode, depth=3)
    assert next(items) == (0, 0)
    time.sleep(0.2)
    # Lane 1 waits for its turn with at most ``depth`` items (plus the one it holds).
    assert sum(1 for pos, _ in made if pos == 1) <= 4
    items.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("video-decode-lane")]
