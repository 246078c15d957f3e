"""One analysis: fan out to the modalities its media kind is routed to (the modality
table), fuse, assemble the document. State changes go through `lifecycle`."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from dd_provenance import ELA_ARTIFACT, ProvenanceSettings, inspect

from dd_contracts import (
    ErrorBody,
    FusionRequest,
    ModalityResult,
    ModalityScore,
    ModalitySpec,
    ModalityStatus,
    ModelInfo,
)
from dd_contracts.analysis import AnalysisEvent
from dd_contracts.catalogue import ErrorType
from dd_contracts.limits import MediaLimits
from dd_contracts.provenance import ProvenanceReport
from dd_fusion.provenance_rules import apply_rules, apply_to_verdict
from dd_gateway.analyses import lifecycle
from dd_gateway.analyses.artifacts import IMAGE_THUMBNAIL, ArtifactStore, first_thumbnail
from dd_gateway.analyses.repository import Job
from dd_gateway.core.errors import GatewayError
from dd_gateway.media.thumbnails import bounded_thumbnail
from dd_gateway.services.catalogue import Backends
from dd_gateway.services.clients import ServiceCall
from dd_service_kit.request_id import set_request_id

log = logging.getLogger(__name__)
Publish = Callable[[AnalysisEvent], None]
NO_SOUND_TRACK = "no sound track"


def _unique_models(calls: list[ServiceCall]) -> list[ModelInfo]:
    seen: dict[tuple[str, str | None], ModelInfo] = {}
    for call in calls:
        for model in call.result.models:
            seen.setdefault((model.name, model.sha256), model)
    return list(seen.values())


def _partial_reason(calls: list[ServiceCall]) -> str | None:
    unjudged = [
        f"{c.result.modality}: {c.result.status.value} ({c.result.reason or 'no reason'})"
        for c in calls
        if c.result.status not in (ModalityStatus.ok, ModalityStatus.no_signal)
    ]
    return "; ".join(unjudged) or None


def _report_of(task: asyncio.Task[ProvenanceReport]) -> ProvenanceReport | None:
    try:
        return task.result()
    except Exception:
        # A bug in our own reader must not cost the user the models' verdict.
        log.exception("provenance inspection failed")
        return None


def skipped(spec: ModalitySpec, has_audio: bool | None) -> ServiceCall | None:
    """A modality that applies but has nothing to judge, decided from the sniffed facts
    without calling its service."""
    if spec.needs_sound and has_audio is False:
        return ServiceCall(
            ModalityResult(
                modality=spec.name,
                status=ModalityStatus.no_signal,
                reason=NO_SOUND_TRACK,
                confidence=0.0,
            ),
            called=False,
        )
    return None


def modalities_to_call(backends: Backends, kind: str, has_audio: bool | None) -> list[str]:
    """The modalities whose services will judge this media (the cache key's half)."""
    return [s.name for s in backends.routes_for(kind) if skipped(s, has_audio) is None]


class AnalysisRunner:
    def __init__(
        self,
        backends: Backends,
        artifacts: ArtifactStore,
        publish: Publish | None = None,
        provenance: ProvenanceSettings | None = None,
        limits: MediaLimits | None = None,
    ) -> None:
        self.backends = backends
        self.limits = limits or MediaLimits()
        self.artifacts = artifacts
        self.publish = publish or (lambda event: None)
        # None: provenance is switched off (GATEWAY_PROVENANCE=false).
        self.provenance_settings = provenance

    async def __call__(self, job: Job) -> None:
        set_request_id(job.request_id)
        analysis = job.analysis
        lifecycle.start(analysis)
        started = time.perf_counter()
        try:
            await self._run(job)
        except GatewayError as exc:
            error = ErrorBody(type=exc.type, detail=exc.detail)
            job.failure_status = lifecycle.fail(analysis, error, job.request_id, exc.status_code)
        except Exception:
            log.exception("analysis failed", extra={"analysis_id": analysis.id})
            job.failure_status = lifecycle.fail_with(
                analysis,
                ErrorType.internal_error,
                "The analysis failed unexpectedly.",
                job.request_id,
            )
        finally:
            lifecycle.close(analysis, (time.perf_counter() - started) * 1000)
            log.info(
                "analysis finished",
                extra={
                    "analysis_id": analysis.id,
                    "status": analysis.status,
                    "label": analysis.verdict.label if analysis.verdict else None,
                    "latencies_ms": analysis.latencies_ms,
                },
            )

    async def _thumbnail(self, job: Job) -> None:
        data = await asyncio.to_thread(bounded_thumbnail, job.media_path, self.limits)
        if data is not None:
            job.thumbnail_url = await asyncio.to_thread(
                self.artifacts.put, job.analysis.id, IMAGE_THUMBNAIL, data
            )

    async def _provenance(self, job: Job, settings: ProvenanceSettings) -> ProvenanceReport:
        """What the file itself says. In-process (no model, milliseconds, the upload is
        already on disk), in a worker thread beside the modality calls; inspect() bounds
        itself (DD_PROVENANCE_TIME_BUDGET_S) and never raises for a bad file."""
        t0 = time.perf_counter()
        media = job.analysis.media
        report = await asyncio.to_thread(
            inspect, job.media_path, media.kind.value, media.mime, settings=settings
        )
        compression = report.compression
        if compression is not None and compression.ela_png:
            compression.ela_url = await asyncio.to_thread(
                self.artifacts.put, job.analysis.id, ELA_ARTIFACT, compression.ela_png
            )
            compression.ela_png = None
        job.analysis.latencies_ms["provenance"] = round((time.perf_counter() - t0) * 1000, 2)
        return report

    async def _call(self, job: Job, spec: ModalitySpec) -> ServiceCall:
        analysis = job.analysis
        name = spec.name
        if (skip := skipped(spec, analysis.media.has_audio)) is not None:
            return skip
        t0 = time.perf_counter()
        analysis.progress[name] = 0.0
        self.publish(lifecycle.started_event(analysis.id, name))

        def on_progress(fraction: float) -> None:
            analysis.progress[name] = round(fraction, 3)
            self.publish(lifecycle.progress_event(analysis.id, name, analysis.progress[name]))

        call = await self.backends.clients[name].analyze(
            job.media_path, job.filename, analysis.media.mime, job.request_id, on_progress
        )
        await asyncio.to_thread(self.artifacts.externalize, analysis.id, call.result)
        analysis.latencies_ms[name] = round((time.perf_counter() - t0) * 1000, 2)
        analysis.progress[name] = 1.0
        self.publish(lifecycle.done_event(analysis.id, name, call.result.status.value))
        return call

    async def _run(self, job: Job) -> None:
        analysis = job.analysis
        routes = self.backends.routes_for(analysis.media.kind.value)
        thumbnail = (
            asyncio.create_task(self._thumbnail(job)) if analysis.media.kind == "image" else None
        )
        settings = self.provenance_settings
        provenance = (
            asyncio.create_task(self._provenance(job, settings)) if settings is not None else None
        )
        try:
            calls = list(await asyncio.gather(*(self._call(job, spec) for spec in routes)))
        finally:
            if thumbnail is not None:
                await asyncio.gather(thumbnail, return_exceptions=True)
            if provenance is not None and not provenance.done():
                # A failed modality call ends the job: the provenance thread is bounded
                # anyway, wait for it so nothing outlives the job.
                await asyncio.wait({provenance})
        if provenance is not None:
            analysis.provenance = _report_of(provenance)
        for call in calls:
            analysis.modalities[call.result.modality] = call.result
        analysis.models = _unique_models(calls)
        job.thumbnail_url = job.thumbnail_url or first_thumbnail([c.result for c in calls])

        called = [c for c in calls if c.called]
        rejections = [c.rejection for c in called if c.rejection is not None]
        if rejections and len(rejections) == len(called):
            # Every service that looked at the file refused it: that is the user's
            # answer (the service's own error type and status), not a verdict.
            first = rejections[0]
            job.failure_status = lifecycle.fail(
                analysis, first.error, job.request_id, first.status_code
            )
            return

        t0 = time.perf_counter()
        scores = [
            ModalityScore(
                modality=c.result.modality,
                status=c.result.status,
                fake_probability=c.result.fake_probability,
                confidence=c.result.confidence,
                reason=c.result.reason,
                reliable=c.result.reliable,
            )
            for c in calls
        ]
        verdict = await self.backends.fusion.fuse(FusionRequest(scores=scores), job.request_id)
        analysis.latencies_ms["fusion"] = round((time.perf_counter() - t0) * 1000, 2)
        # Provenance enters the verdict only through the listed rules: each fired rule is
        # named in verdict.reasons; a forcing rule sets the label, the probability stays
        # the models'.
        if analysis.provenance is not None:
            verdict = apply_to_verdict(verdict, apply_rules(analysis.provenance))
        lifecycle.succeed(analysis, verdict, _partial_reason(calls))
