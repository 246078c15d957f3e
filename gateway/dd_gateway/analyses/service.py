"""What can be done with analyses, whoever asks (routes are thin wrappers over this).

Tenancy lives here too: every analysis belongs to the API key that created it, and a
viewer who may not see it gets exactly the answer for an id that does not exist (404).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi import Request

from dd_contracts import (
    Analysis,
    AnalysisAccepted,
    AnalysisPage,
    AnalysisStatus,
    MediaInfo,
)
from dd_contracts.analysis import AnalysisEvent
from dd_contracts.catalogue import ErrorType
from dd_gateway.analyses import lifecycle
from dd_gateway.analyses.artifacts import ArtifactStore
from dd_gateway.analyses.callbacks import CallbackSender
from dd_gateway.analyses.events import EventHub, sse
from dd_gateway.analyses.repository import Job, ListFilter, SqlJobStore
from dd_gateway.analyses.runner import modalities_to_call
from dd_gateway.analyses.worker import WorkerPool
from dd_gateway.core.errors import GatewayError, not_found
from dd_gateway.core.settings import GatewaySettings
from dd_gateway.keys.auth import Viewer
from dd_gateway.media.limits import check_limits
from dd_gateway.media.sniff import Sniffed, inspect
from dd_gateway.media.store import MediaStore
from dd_gateway.media.upload import receive_upload
from dd_gateway.services.catalogue import Backends
from dd_gateway.services.clients import scrub_paths
from dd_inference import MediaRejected
from dd_mediaguard import preflight
from dd_service_kit import current_request_id

log = logging.getLogger(__name__)


@dataclass
class Created:
    """What createAnalysis answers: accepted (202), finished (200), or a stored result."""

    accepted: AnalysisAccepted | None = None
    finished: Job | None = None
    cached: Analysis | None = None


@dataclass(frozen=True)
class MediaFile:
    path: Path
    mime: str
    size: int
    filename: str


def _inspect(path: Path, head: bytes, size: int, settings: GatewaySettings) -> Sniffed:
    """Blocking: run off the event loop. First the structural preflight (pure Python,
    its cost bounded by the element budgets of the limits table, not by what the file
    declares: a PNG of a million empty chunks or an MP4 declaring ten million samples is
    refused before any parser sees it), then the sniff (Pillow header, PyAV stream
    table) and the limits."""
    try:
        preflight(path, None, settings.limits)
    except MediaRejected as exc:
        raise GatewayError(
            scrub_paths(exc.detail), type=exc.type, status_code=exc.status_code
        ) from exc
    sniffed = inspect(path, head, settings.limits)
    check_limits(sniffed, size, settings.limits)
    return sniffed


class AnalysisService:
    def __init__(
        self,
        settings: GatewaySettings,
        store: SqlJobStore,
        media: MediaStore,
        artifacts: ArtifactStore,
        hub: EventHub,
        pool: WorkerPool,
        backends: Backends,
        callbacks: CallbackSender | None,
        on_cache_hit: Callable[[], None],
        inspect: Callable[[Path, bytes, int], Awaitable[Sniffed]] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.media = media
        self.artifacts = artifacts
        self.hub = hub
        self.pool = pool
        self.backends = backends
        self.callbacks = callbacks
        self.on_cache_hit = on_cache_hit
        self.inspect = inspect or self._inspect_in_thread

    async def _inspect_in_thread(self, path: Path, head: bytes, size: int) -> Sniffed:
        return await asyncio.to_thread(_inspect, path, head, size, self.settings)

    # Reading ----------------------------------------------------------------------------

    def _visible(self, analysis_id: str, viewer: Viewer) -> Job:
        job = self.pool.current(analysis_id)
        if job is None or not viewer.may_see(job.key_id):
            raise not_found()
        return job

    def get(self, analysis_id: str, viewer: Viewer) -> Analysis:
        return self._visible(analysis_id, viewer).analysis

    def page(
        self,
        viewer: Viewer,
        limit: int,
        offset: int,
        kind: str | None,
        verdict: str | None,
        q: str | None,
    ) -> AnalysisPage:
        where = ListFilter(
            kind=kind, verdict=verdict, q=q or None, key_id=viewer.key_id, every_tenant=viewer.admin
        )
        page = self.store.summaries(limit, offset, where)
        return AnalysisPage(items=page.items, total=page.total, limit=limit, offset=offset)

    def finished(self, analysis_id: str, viewer: Viewer) -> Analysis:
        analysis = self.get(analysis_id, viewer)
        if not lifecycle.is_finished(analysis):
            raise GatewayError.of(ErrorType.not_finished)
        return analysis

    def artifact(self, analysis_id: str, name: str, viewer: Viewer) -> Path:
        self._visible(analysis_id, viewer)
        path = self.artifacts.path(analysis_id, name)
        if path is None:
            raise not_found("No artifact with that name.")
        return path

    def media_file(self, analysis_id: str, viewer: Viewer) -> MediaFile:
        job = self._visible(analysis_id, viewer)
        if not job.media_path.is_file():
            raise not_found("The media of this analysis is no longer stored.")
        media = job.analysis.media
        return MediaFile(job.media_path, media.mime, job.media_path.stat().st_size, job.filename)

    # Deleting ---------------------------------------------------------------------------

    def delete(self, analysis_id: str, viewer: Viewer) -> None:
        """Remove an analysis, its artifacts and its media (unless another analysis of the
        same bytes still needs them). A running one cannot be deleted until it ends."""
        job = self._visible(analysis_id, viewer)
        if analysis_id in self.pool.live or lifecycle.is_running(job.analysis):
            raise GatewayError.of(
                ErrorType.analysis_running,
                "The analysis is running; delete it once it has finished.",
            )
        deleted = self.store.delete(analysis_id)
        if deleted is None:
            raise not_found()
        self.artifacts.delete_all(analysis_id)
        if not self.store.media_needed(deleted.media_path, None):
            self.media.delete(deleted.media_path)

    def purge_old_media(self) -> int:
        cutoff = datetime.now(UTC) - timedelta(days=self.settings.media_retention_days)
        purged = 0
        for job in self.store.finished_before(cutoff):
            if job.media_path.exists() and not self.store.media_needed(job.media_path, cutoff):
                self.media.delete(job.media_path)
                purged += 1
        return purged

    # Creating ---------------------------------------------------------------------------

    async def create(
        self,
        request: Request,
        viewer: Viewer,
        *,
        wait: bool,
        force: bool,
        callback_url: str | None,
    ) -> Created:
        if callback_url is not None:
            if self.callbacks is None:
                raise GatewayError.of(ErrorType.callbacks_disabled)
            await self.callbacks.policy.check(callback_url)
        t0 = time.perf_counter()
        upload = await receive_upload(request, self.media, self.settings.upload_cap_bytes)
        stored = upload.stored
        try:
            sniffed = await self.inspect(stored.path, stored.head, stored.size_bytes)
            cache_key = await self.backends.cache_key(
                sniffed.kind.value,
                stored.sha256,
                modalities_to_call(self.backends, sniffed.kind.value, sniffed.has_audio),
            )
            if cache_key and not force:
                hit = self.store.cached(cache_key, viewer.key_id, viewer.admin)
                if hit is not None:
                    self.on_cache_hit()
                    return Created(cached=hit.analysis)
            analysis = Analysis(
                id=uuid.uuid4().hex,
                status=AnalysisStatus.queued,
                created_at=datetime.now(UTC),
                media=MediaInfo(
                    kind=sniffed.kind,
                    mime=sniffed.mime,
                    format=sniffed.format,
                    size_bytes=stored.size_bytes,
                    sha256=stored.sha256,
                    filename=upload.filename,
                    has_audio=sniffed.has_audio,
                    duration_s=sniffed.duration_s,
                    width=sniffed.width,
                    height=sniffed.height,
                ),
                latencies_ms={"upload_and_sniff": round((time.perf_counter() - t0) * 1000, 2)},
            )
            job = Job(
                analysis=analysis,
                media_path=stored.path,
                filename=upload.filename or "upload",
                request_id=current_request_id() or uuid.uuid4().hex,
                cache_key=cache_key,
                callback_url=callback_url,
                key_id=viewer.key_id,
            )
            followers = self.hub.subscribe(analysis.id) if wait else None
            try:
                self.pool.submit(job)
            except GatewayError:
                if followers is not None:
                    self.hub.unsubscribe(analysis.id, followers)
                raise
        except GatewayError:
            if not self.store.media_needed(stored.path, None):
                self.media.delete(stored.path)
            raise
        location = f"/v1/analyses/{analysis.id}"
        if followers is not None:
            try:
                finished = await self._wait_finished(analysis.id, followers)
            finally:
                self.hub.unsubscribe(analysis.id, followers)
            if finished is not None:
                return Created(finished=finished)
        return Created(
            accepted=AnalysisAccepted(id=analysis.id, status=analysis.status, location=location)
        )

    async def _wait_finished(
        self, analysis_id: str, followers: asyncio.Queue[AnalysisEvent]
    ) -> Job | None:
        """The finished job, from this process's events or, when another replica runs
        it, from the database; None after wait_timeout_s."""
        deadline = time.monotonic() + self.settings.wait_timeout_s
        while (left := deadline - time.monotonic()) > 0:
            with contextlib.suppress(TimeoutError):
                event = await asyncio.wait_for(
                    followers.get(), timeout=min(left, self.settings.claim_poll_s)
                )
                if not lifecycle.is_terminal(event):
                    continue
            job = self.store.get(analysis_id)
            if job is None or lifecycle.is_finished(job.analysis):
                return job
        return None

    # Following --------------------------------------------------------------------------

    def follow(self, analysis_id: str, viewer: Viewer) -> AsyncIterator[bytes]:
        followers = self.hub.subscribe(analysis_id)
        try:
            job = self._visible(analysis_id, viewer)
        except GatewayError:
            self.hub.unsubscribe(analysis_id, followers)
            raise
        return self._event_stream(job, followers)

    async def _event_stream(
        self, job: Job, followers: asyncio.Queue[AnalysisEvent]
    ) -> AsyncIterator[bytes]:
        analysis_id = job.analysis.id
        try:
            for event in lifecycle.snapshot_events(job.analysis):
                yield sse(event)
                if lifecycle.is_terminal(event):
                    return
            while True:
                try:
                    event = await asyncio.wait_for(followers.get(), self.settings.claim_poll_s)
                except TimeoutError:
                    latest = self.store.get(analysis_id)
                    if latest is None or lifecycle.is_finished(latest.analysis):
                        if latest is not None:
                            yield sse(lifecycle.terminal_event(latest.analysis))
                        return
                    yield b": keep-alive\n\n"
                    continue
                yield sse(event)
                if lifecycle.is_terminal(event):
                    return
        finally:
            self.hub.unsubscribe(analysis_id, followers)
