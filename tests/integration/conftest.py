"""Starts the real stack (scripts/run_stack.py) as processes on loopback, once per run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.stack import RunningStack, running_stack

UPLOAD_LIMIT = 20 * 1024 * 1024

__all__ = ["UPLOAD_LIMIT", "RunningStack", "stack"]


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    # A small upload limit so the over-limit case does not need a 512 MiB request.
    env = {"GATEWAY_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT)}
    with running_stack(tmp_path_factory.mktemp("stack"), env, ready_timeout_s=240) as running:
        yield running
