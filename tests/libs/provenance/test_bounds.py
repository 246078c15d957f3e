"""Time bounds: native calls that hang are abandoned, and a spent budget is reported."""

from __future__ import annotations

import time

import dd_provenance.c2pa_read as c2pa_read
import pytest
from dd_provenance import ProvenanceSettings
from dd_provenance.budget import run_bounded
from dd_provenance.errors import Unreadable

from dd_contracts.provenance import SectionState
from tests.libs.provenance.conftest import Inspect
from tests.libs.provenance.media import SigningChain, jpeg, sign_jpeg


def test_run_bounded_abandons_a_slow_call() -> None:
    start = time.perf_counter()
    with pytest.raises(Unreadable, match="longer than"):
        run_bounded(lambda: time.sleep(3), 0.1, "slow call")
    assert time.perf_counter() - start < 1.0


def test_run_bounded_passes_results_and_errors_through() -> None:
    assert run_bounded(lambda: 42, 1.0, "quick") == 42
    with pytest.raises(ZeroDivisionError):
        run_bounded(lambda: 1 / 0, 1.0, "failing")


def test_a_hanging_c2pa_reader_is_reported_unreadable(
    chain: SigningChain, inspect_bytes: Inspect, monkeypatch: pytest.MonkeyPatch
) -> None:
    def hang(*_args: object, **_kwargs: object) -> None:
        time.sleep(3)

    monkeypatch.setattr(c2pa_read.c2pa.Reader, "try_create", hang)
    signed = sign_jpeg(jpeg(), chain, "trainedAlgorithmicMedia")
    start = time.perf_counter()
    report = inspect_bytes(signed, settings=ProvenanceSettings(c2pa_timeout_s=0.2))
    assert time.perf_counter() - start < 1.5
    assert report.c2pa.state is SectionState.unreadable
    assert "longer than" in (report.c2pa.reason or "")


def test_a_spent_budget_marks_the_remaining_sections(inspect_bytes: Inspect) -> None:
    report = inspect_bytes(jpeg(), settings=ProvenanceSettings(time_budget_s=1e-9))
    assert report.timed_out
    assert report.metadata is not None and report.metadata.state is SectionState.unreadable
    assert "time budget" in (report.metadata.reason or "")


def test_remote_manifests_are_not_fetched_by_default() -> None:
    assert ProvenanceSettings().allow_remote_manifests is False
    assert ProvenanceSettings.from_env({}).allow_remote_manifests is False
    settings = ProvenanceSettings.from_env({"DD_PROVENANCE_ALLOW_REMOTE_MANIFESTS": "true"})
    assert settings.allow_remote_manifests is True
