"""One analysis: fan out to the services that apply, fuse, assemble the document."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from dd_contracts import (
    AnalysisStatus,
    ErrorBody,
    FusionRequest,
    MediaKind,
    Modality,
    ModalityScore,
    ModalityStatus,
    ModelInfo,
)
from dd_contracts.analysis import AnalysisEvent
from dd_gateway.backends import FusionClient, ServiceCall, ServiceClient
from dd_gateway.errors import GatewayError
from dd_gateway.jobs import Job
from dd_service_kit.request_id import set_request_id

log = logging.getLogger(__name__)

# A video's sound track is judged by the audio service, which demuxes it itself.
MODALITIES_FOR: dict[MediaKind, tuple[Modality, ...]] = {
    MediaKind.image: (Modality.image,),
    MediaKind.audio: (Modality.audio,),
    MediaKind.video: (Modality.video, Modality.audio),
}


def _now() -> datetime:
    return datetime.now(UTC)


def _unique_models(calls: list[ServiceCall]) -> list[ModelInfo]:
    seen: dict[tuple[str, str | None], ModelInfo] = {}
    for call in calls:
        for model in call.result.models:
            seen.setdefault((model.name, model.sha256), model)
    return list(seen.values())


Publish = Callable[[AnalysisEvent], None]


def _partial_reason(calls: list[ServiceCall]) -> str | None:
    unjudged = [
        f"{c.result.modality.value}: {c.result.status.value} ({c.result.reason or 'no reason'})"
        for c in calls
        if c.result.status not in (ModalityStatus.ok, ModalityStatus.no_signal)
    ]
    return "; ".join(unjudged) or None


class AnalysisRunner:
    def __init__(
        self,
        services: dict[Modality, ServiceClient],
        fusion: FusionClient,
        publish: Publish | None = None,
    ) -> None:
        self.services = services
        self.fusion = fusion
        self.publish = publish or (lambda event: None)

    async def __call__(self, job: Job) -> None:
        set_request_id(job.request_id)
        analysis = job.analysis
        analysis.status = AnalysisStatus.running
        analysis.started_at = analysis.started_at or _now()
        started = time.perf_counter()
        try:
            await self._run(job)
        except GatewayError as exc:
            self._fail(job, exc.status_code, ErrorBody(type=exc.type, detail=exc.detail))
        except Exception:
            log.exception("analysis failed", extra={"analysis_id": analysis.id})
            self._fail(
                job,
                500,
                ErrorBody(type="internal_error", detail="The analysis failed unexpectedly."),
            )
        finally:
            analysis.latencies_ms["total"] = round((time.perf_counter() - started) * 1000, 2)
            analysis.finished_at = _now()
            log.info(
                "analysis finished",
                extra={
                    "analysis_id": analysis.id,
                    "status": analysis.status,
                    "label": analysis.verdict.label if analysis.verdict else None,
                    "latencies_ms": analysis.latencies_ms,
                },
            )

    def _fail(self, job: Job, status_code: int, error: ErrorBody) -> None:
        job.failure_status = status_code
        job.analysis.status = AnalysisStatus.failed
        job.analysis.error = error.model_copy(update={"request_id": job.request_id})

    async def _run(self, job: Job) -> None:
        analysis = job.analysis
        modalities = MODALITIES_FOR[analysis.media.kind]

        def progress_of(modality: Modality):  # type: ignore[no-untyped-def]
            def update(fraction: float) -> None:
                analysis.progress[modality.value] = round(fraction, 3)
                self.publish(
                    AnalysisEvent(
                        event="progress",
                        analysis_id=analysis.id,
                        modality=modality.value,
                        fraction=analysis.progress[modality.value],
                    )
                )

            return update

        async def call(modality: Modality) -> ServiceCall:
            t0 = time.perf_counter()
            analysis.progress[modality.value] = 0.0
            self.publish(
                AnalysisEvent(event="started", analysis_id=analysis.id, modality=modality.value)
            )
            result = await self.services[modality].analyze(
                job.media_path,
                job.filename,
                analysis.media.mime,
                job.request_id,
                progress_of(modality),
            )
            analysis.latencies_ms[modality.value] = round((time.perf_counter() - t0) * 1000, 2)
            analysis.progress[modality.value] = 1.0
            self.publish(
                AnalysisEvent(
                    event="done",
                    analysis_id=analysis.id,
                    modality=modality.value,
                    status=result.result.status.value,
                )
            )
            return result

        calls = await asyncio.gather(*(call(m) for m in modalities))
        for call_result in calls:
            analysis.modalities[call_result.result.modality.value] = call_result.result
        analysis.models = _unique_models(list(calls))

        rejections = [c.rejection for c in calls if c.rejection is not None]
        if rejections and len(rejections) == len(calls):
            # Every service refused the file: that is the user's answer, not a verdict.
            first = rejections[0]
            self._fail(job, first.status_code, first.error)
            return

        t0 = time.perf_counter()
        scores = [
            ModalityScore(
                modality=c.result.modality,
                status=c.result.status,
                fake_probability=c.result.fake_probability,
                confidence=c.result.confidence,
                reason=c.result.reason,
            )
            for c in calls
        ]
        analysis.verdict = await self.fusion.fuse(FusionRequest(scores=scores), job.request_id)
        analysis.latencies_ms["fusion"] = round((time.perf_counter() - t0) * 1000, 2)
        # Fusion says whether a modality that applies went unjudged; we say which and why.
        analysis.partial = analysis.verdict.partial
        analysis.partial_reason = _partial_reason(list(calls)) if analysis.partial else None
        analysis.status = AnalysisStatus.done
