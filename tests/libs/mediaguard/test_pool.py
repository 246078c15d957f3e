"""bounded / bounded_iter: results come back intact, refusals keep their type, and a task
over its memory, CPU or wall-clock bound is refused while its worker is replaced and the
other workers' tasks go on."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest

from dd_contracts.limits import MediaLimits
from dd_inference import MediaRejected
from dd_mediaguard import WorkerPool
from tests.libs.mediaguard import tasks

LIMITS = MediaLimits(parse_memory_bytes=256 * 1024 * 1024, parse_cpu_s=2, parse_wall_s=5)


@pytest.fixture(scope="module")
def pool() -> Iterator[WorkerPool]:
    pool = WorkerPool(size=2)
    pool.warm()
    yield pool
    pool.close()


def test_arrays_come_back_equal_small_and_large(pool: WorkerPool) -> None:
    for side in (8, 1024):  # pipe and shared-memory transports
        assert np.array_equal(pool.run(tasks.pixels, side, limits=LIMITS), tasks.pixels(side))


def test_refusal_keeps_its_catalogue_type(pool: WorkerPool) -> None:
    with pytest.raises(MediaRejected) as error:
        pool.run(tasks.refuse, "corrupt_media", limits=LIMITS)
    assert (error.value.type, error.value.status_code) == ("corrupt_media", 422)


def test_other_exceptions_propagate_and_keep_the_worker(pool: WorkerPool) -> None:
    before = pool.replaced
    with pytest.raises(ValueError, match="a bug"):
        pool.run(tasks.fail, limits=LIMITS)
    assert pool.replaced == before


def _expect_limit(pool: WorkerPool, fn: object, *args: object) -> MediaRejected:
    before = pool.replaced
    with pytest.raises(MediaRejected) as error:
        pool.run(fn, *args, limits=LIMITS)  # type: ignore[arg-type]
    assert (error.value.type, error.value.status_code) == ("parse_limit_exceeded", 422)
    assert pool.replaced == before + 1
    return error.value


def test_memory_over_the_bound_is_refused_and_the_worker_replaced(pool: WorkerPool) -> None:
    _expect_limit(pool, tasks.allocate, 1024)
    assert pool.run(tasks.allocate, 16, limits=LIMITS) == 16 * 1024 * 1024  # next one works


def test_cpu_over_the_bound_is_refused(pool: WorkerPool) -> None:
    """Killed by SIGXCPU (the message says CPU), long before the wall-clock bound, however
    slowly CPU time accrues on a busy machine."""
    limits = LIMITS.model_copy(update={"parse_cpu_s": 1.0, "parse_wall_s": 120.0})
    before = pool.replaced
    with pytest.raises(MediaRejected, match="CPU") as error:
        pool.run(tasks.spin, 600.0, limits=limits)
    assert error.value.type == "parse_limit_exceeded"
    assert pool.replaced == before + 1


def test_wall_clock_over_the_bound_is_refused(pool: WorkerPool) -> None:
    limits = LIMITS.model_copy(update={"parse_wall_s": 0.5})
    start = time.monotonic()
    before = pool.replaced
    with pytest.raises(MediaRejected, match="longer than") as raised:
        pool.run(tasks.sleep, 30.0, limits=limits)
    assert raised.value.type == "parse_limit_exceeded"
    assert time.monotonic() - start < 3
    assert pool.replaced == before + 1


def test_a_killed_worker_loses_nothing_else_in_flight(pool: WorkerPool) -> None:
    """One worker sleeps (a good file being parsed) while the other is killed for memory:
    the good task still finishes."""
    results: list[int] = []
    good = threading.Thread(
        target=lambda: results.append(pool.run(tasks.sleep, 1.0, limits=LIMITS))
    )
    good.start()
    time.sleep(0.1)
    _expect_limit(pool, tasks.allocate, 1024)
    good.join(timeout=10)
    assert len(results) == 1 and results[0] > 0


def test_generator_items_stream_back(pool: WorkerPool) -> None:
    items = list(pool.iterate(tasks.frames, 5, 600, limits=LIMITS))
    assert [int(item[0, 0, 0]) for item in items] == [0, 1, 2, 3, 4]
    assert all(item.shape == (600, 600, 3) for item in items)


def test_stopping_a_generator_early_replaces_its_worker(pool: WorkerPool) -> None:
    before = pool.replaced
    stream = pool.iterate(tasks.frames, 50, 600, limits=LIMITS)
    assert int(next(stream)[0, 0, 0]) == 0
    stream.close()  # type: ignore[attr-defined]
    assert pool.replaced == before + 1
    assert pool.run(tasks.pixels, 4, limits=LIMITS).shape == (4, 4, 3)


def test_workers_are_reused(pool: WorkerPool) -> None:
    pids = {pool.run(tasks.pid, limits=LIMITS) for _ in range(6)}
    assert len(pids) <= pool.size


def test_a_parser_out_of_memory_is_a_limit_not_a_damaged_file(pool: WorkerPool) -> None:
    _expect_limit(pool, tasks.parser_out_of_memory)
