"""The one place that moves an analysis between states, and says what each state means.

queued -> running -> done | failed. Every transition, "is it finished", and the events a
follower sees (including the terminal one, and the catch-up a late follower gets) are
decided here; the runner, the worker pool, the repository and the routes only call these.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from dd_contracts import Analysis, AnalysisStatus, ErrorBody, Verdict
from dd_contracts.analysis import AnalysisEvent
from dd_contracts.catalogue import ErrorType, spec

FINISHED = frozenset({AnalysisStatus.done, AnalysisStatus.failed})
FINISHED_VALUES = tuple(s.value for s in FINISHED)
TERMINAL_EVENTS = frozenset({"fused", "failed"})


def _now() -> datetime:
    return datetime.now(UTC)


def is_finished(analysis: Analysis) -> bool:
    return analysis.status in FINISHED


def is_running(analysis: Analysis) -> bool:
    return analysis.status is AnalysisStatus.running


def is_failed(analysis: Analysis) -> bool:
    return analysis.status is AnalysisStatus.failed


def is_terminal(event: AnalysisEvent) -> bool:
    return event.event in TERMINAL_EVENTS


def start(analysis: Analysis) -> None:
    """queued -> running (a worker claimed it)."""
    analysis.status = AnalysisStatus.running
    analysis.started_at = analysis.started_at or _now()


def succeed(analysis: Analysis, verdict: Verdict, partial_reason: str | None) -> None:
    """running -> done. Fusion says whether a modality that applies went unjudged; the
    runner says which and why."""
    analysis.verdict = verdict
    analysis.partial = verdict.partial
    analysis.partial_reason = partial_reason if verdict.partial else None
    analysis.status = AnalysisStatus.done


def fail(
    analysis: Analysis, error: ErrorBody, request_id: str | None, status: int | None = None
) -> int:
    """-> failed; returns the HTTP status a ?wait=true caller gets: the one given (a
    service's own 4xx), else the catalogue's for the error type."""
    analysis.status = AnalysisStatus.failed
    analysis.error = error.model_copy(update={"request_id": request_id})
    return status or spec(error.type).status


def fail_with(analysis: Analysis, type_: ErrorType, detail: str, request_id: str | None) -> int:
    return fail(analysis, ErrorBody(type=type_.value, detail=detail), request_id)


def interrupt(analysis: Analysis, request_id: str | None) -> int:
    """running -> failed after a restart: we cannot know whether this job is what brought
    the process down, so it is not run again."""
    status = fail_with(
        analysis,
        ErrorType.interrupted,
        "The gateway restarted while this analysis was running; submit the file again.",
        request_id,
    )
    analysis.finished_at = _now()
    return status


def close(analysis: Analysis, total_ms: float) -> None:
    """Stamp the end (whatever the outcome)."""
    analysis.latencies_ms["total"] = round(total_ms, 2)
    analysis.finished_at = _now()


def reusable(analysis: Analysis) -> bool:
    """Only a whole answer may be given again for the same bytes and models."""
    return analysis.status is AnalysisStatus.done and not analysis.partial


# Events ---------------------------------------------------------------------------------


def queued_event(analysis_id: str) -> AnalysisEvent:
    return AnalysisEvent(event="queued", analysis_id=analysis_id)


def started_event(analysis_id: str, modality: str) -> AnalysisEvent:
    return AnalysisEvent(event="started", analysis_id=analysis_id, modality=modality)


def progress_event(analysis_id: str, modality: str, fraction: float) -> AnalysisEvent:
    return AnalysisEvent(
        event="progress", analysis_id=analysis_id, modality=modality, fraction=fraction
    )


def done_event(analysis_id: str, modality: str, status: str) -> AnalysisEvent:
    return AnalysisEvent(event="done", analysis_id=analysis_id, modality=modality, status=status)


def terminal_event(analysis: Analysis) -> AnalysisEvent:
    name: Literal["fused", "failed"] = (
        "fused" if analysis.status is AnalysisStatus.done else "failed"
    )
    return AnalysisEvent(event=name, analysis_id=analysis.id, analysis=analysis)


def snapshot_events(analysis: Analysis) -> list[AnalysisEvent]:
    """What a follower who arrives late has missed, as events."""
    if is_finished(analysis):
        return [terminal_event(analysis)]
    events = [queued_event(analysis.id)]
    for modality, fraction in analysis.progress.items():
        events.append(started_event(analysis.id, modality))
        events.append(progress_event(analysis.id, modality, fraction))
    return events
