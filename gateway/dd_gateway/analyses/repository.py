"""Where analyses (jobs) are kept: the database, not memory, is the queue.

Several replicas can share one PostgreSQL database: a worker takes a job by *claiming*
its row (`SELECT ... FOR UPDATE SKIP LOCKED` picks a queued row no other transaction
holds, then `UPDATE ... WHERE status = 'queued'` marks it running under this replica's
id). On SQLite, which has no row locks, the conditional UPDATE alone makes the claim
atomic (SQLite serialises writers), so at most one worker ever runs a job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa

from dd_contracts import Analysis, AnalysisStatus, AnalysisSummary, MediaKind
from dd_gateway.analyses import lifecycle
from dd_gateway.core.db import analyses


@dataclass
class Job:
    analysis: Analysis
    media_path: Path
    filename: str
    request_id: str
    # The HTTP status a ?wait=true caller gets if the job fails (the service's 4xx).
    failure_status: int = 500
    cache_key: str | None = None
    callback_url: str | None = None
    # The API key that created it (its tenant); None without keys.
    key_id: str | None = None
    thumbnail_url: str | None = None


@dataclass(frozen=True)
class ListFilter:
    kind: str | None = None
    verdict: str | None = None
    # Case-insensitive substring of the file name.
    q: str | None = None
    # Only this tenant's analyses; None: everyone's (admin, or the single-user gateway).
    key_id: str | None = None
    every_tenant: bool = True


@dataclass(frozen=True)
class SummaryPage:
    items: list[AnalysisSummary]
    total: int


class JobStore(Protocol):
    def add(self, job: Job) -> None: ...
    def save(self, job: Job) -> None: ...
    def get(self, job_id: str) -> Job | None: ...
    def delete(self, job_id: str) -> Job | None: ...
    def summaries(self, limit: int, offset: int, where: ListFilter) -> SummaryPage: ...
    def count_queued(self) -> int: ...
    def claim(
        self, owner: str, job_id: str | None = None, kinds: tuple[str, ...] | None = None
    ) -> Job | None: ...
    def cached(self, cache_key: str, key_id: str | None, every_tenant: bool) -> Job | None: ...
    def media_needed(self, media_path: Path, finished_before: datetime | None) -> bool: ...
    def finished_before(self, when: datetime) -> Sequence[Job]: ...
    def recover(self, owner: str) -> tuple[list[str], list[str]]: ...


def _row_values(job: Job) -> dict[str, object]:
    analysis = job.analysis
    return {
        "status": analysis.status.value,
        "kind": analysis.media.kind.value,
        "verdict": analysis.verdict.label.value if analysis.verdict else None,
        "created_at": analysis.created_at,
        "finished_at": analysis.finished_at,
        "sha256": analysis.media.sha256,
        "cache_key": job.cache_key,
        "media_path": str(job.media_path),
        "filename": job.filename,
        "request_id": job.request_id,
        "failure_status": job.failure_status,
        "callback_url": job.callback_url,
        "document": analysis.model_dump_json(),
        "mime": analysis.media.mime,
        "size_bytes": analysis.media.size_bytes,
        "fake_probability": analysis.verdict.fake_probability if analysis.verdict else None,
        "thumbnail_url": job.thumbnail_url,
        "key_id": job.key_id,
    }


def _job(row: sa.Row[tuple[object, ...]]) -> Job:
    m = row._mapping
    return Job(
        analysis=Analysis.model_validate_json(str(m["document"])),
        media_path=Path(str(m["media_path"])),
        filename=str(m["filename"]),
        request_id=str(m["request_id"]),
        failure_status=int(str(m["failure_status"])),
        cache_key=m["cache_key"],  # type: ignore[arg-type]
        callback_url=m["callback_url"],  # type: ignore[arg-type]
        key_id=m["key_id"],  # type: ignore[arg-type]
        thumbnail_url=m["thumbnail_url"],  # type: ignore[arg-type]
    )


def _aware(value: datetime | None) -> datetime | None:
    """SQLite keeps no time zone; every time we store is UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _summary(row: Any) -> AnalysisSummary:
    m = row._mapping
    return AnalysisSummary(
        id=m["id"],
        status=m["status"],
        kind=MediaKind(m["kind"]),
        filename=m["filename"],
        mime=m["mime"] or "application/octet-stream",
        size_bytes=m["size_bytes"] or 0,
        created_at=_aware(m["created_at"]),
        finished_at=_aware(m["finished_at"]),
        verdict_label=m["verdict"],
        fake_probability=m["fake_probability"],
        thumbnail_url=m["thumbnail_url"],
    )


_SUMMARY_COLUMNS = (
    analyses.c.id,
    analyses.c.status,
    analyses.c.kind,
    analyses.c.filename,
    analyses.c.mime,
    analyses.c.size_bytes,
    analyses.c.created_at,
    analyses.c.finished_at,
    analyses.c.verdict,
    analyses.c.fake_probability,
    analyses.c.thumbnail_url,
)
_FINISHED = lifecycle.FINISHED_VALUES


def pick_queued(
    job_id: str | None, row_locks: bool, kinds: tuple[str, ...] | None = None
) -> sa.Select[tuple[str]]:
    """The oldest queued job (or that one, or of these kinds); with row locks, one no one
    else holds."""
    pick = sa.select(analyses.c.id).where(analyses.c.status == AnalysisStatus.queued.value)
    if job_id is not None:
        pick = pick.where(analyses.c.id == job_id)
    if kinds is not None:
        pick = pick.where(analyses.c.kind.in_(kinds))
    pick = pick.order_by(analyses.c.created_at, analyses.c.id).limit(1)
    return pick.with_for_update(skip_locked=True) if row_locks else pick


class SqlJobStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._row_locks = engine.dialect.name == "postgresql"

    def add(self, job: Job) -> None:
        with self.engine.begin() as db:
            db.execute(sa.insert(analyses).values(id=job.analysis.id, **_row_values(job)))

    def save(self, job: Job) -> None:
        with self.engine.begin() as db:
            db.execute(
                sa.update(analyses)
                .where(analyses.c.id == job.analysis.id)
                .values(**_row_values(job))
            )

    def get(self, job_id: str) -> Job | None:
        with self.engine.connect() as db:
            row = db.execute(sa.select(analyses).where(analyses.c.id == job_id)).first()
        return _job(row) if row else None

    def delete(self, job_id: str) -> Job | None:
        with self.engine.begin() as db:
            row = db.execute(sa.select(analyses).where(analyses.c.id == job_id)).first()
            if row is None:
                return None
            db.execute(sa.delete(analyses).where(analyses.c.id == job_id))
        return _job(row)

    def summaries(self, limit: int, offset: int, where: ListFilter) -> SummaryPage:
        conditions = []
        if where.kind:
            conditions.append(analyses.c.kind == where.kind)
        if where.verdict:
            conditions.append(analyses.c.verdict == where.verdict)
        if where.q:
            conditions.append(
                sa.func.lower(analyses.c.filename).contains(where.q.lower(), autoescape=True)
            )
        if not where.every_tenant:
            conditions.append(analyses.c.key_id == where.key_id)
        query = (
            sa.select(*_SUMMARY_COLUMNS)
            .where(*conditions)
            .order_by(analyses.c.created_at.desc(), analyses.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        count = sa.select(sa.func.count()).select_from(analyses).where(*conditions)
        with self.engine.connect() as db:
            rows = db.execute(query).all()
            total = db.execute(count).scalar_one()
        return SummaryPage([_summary(row) for row in rows], int(total))

    def count_queued(self) -> int:
        query = (
            sa.select(sa.func.count())
            .select_from(analyses)
            .where(analyses.c.status == AnalysisStatus.queued.value)
        )
        with self.engine.connect() as db:
            return int(db.execute(query).scalar_one())

    def claim(
        self, owner: str, job_id: str | None = None, kinds: tuple[str, ...] | None = None
    ) -> Job | None:
        """Mark a queued job (of these kinds) running under `owner` and return it; None if
        there is none (or another worker, maybe on another replica, took it first)."""
        queued = analyses.c.status == AnalysisStatus.queued.value
        with self.engine.begin() as db:
            chosen = db.execute(pick_queued(job_id, self._row_locks, kinds)).scalar_one_or_none()
            if chosen is None:
                return None
            row = db.execute(sa.select(analyses).where(analyses.c.id == chosen)).one()
            job = _job(row)
            lifecycle.start(job.analysis)
            claimed = db.execute(
                sa.update(analyses)
                .where(analyses.c.id == chosen, queued)
                .values(owner=owner, **_row_values(job))
            )
            return job if claimed.rowcount == 1 else None

    def cached(self, cache_key: str, key_id: str | None, every_tenant: bool) -> Job | None:
        """The newest whole answer for these bytes and models that this tenant may see."""
        conditions = [
            analyses.c.cache_key == cache_key,
            analyses.c.status == AnalysisStatus.done.value,
        ]
        if not every_tenant:
            conditions.append(analyses.c.key_id == key_id)
        query = (
            sa.select(analyses).where(*conditions).order_by(analyses.c.created_at.desc()).limit(1)
        )
        with self.engine.connect() as db:
            row = db.execute(query).first()
        return _job(row) if row else None

    def media_needed(self, media_path: Path, finished_before: datetime | None) -> bool:
        """Whether any analysis still needs these bytes: with a cut-off, one that is
        unfinished or finished after it; without, any analysis at all."""
        query = sa.select(analyses.c.id).where(analyses.c.media_path == str(media_path))
        if finished_before is not None:
            query = query.where(
                sa.or_(
                    analyses.c.status.not_in(_FINISHED),
                    analyses.c.finished_at >= finished_before,
                )
            )
        with self.engine.connect() as db:
            return db.execute(query.limit(1)).first() is not None

    def finished_before(self, when: datetime) -> Sequence[Job]:
        query = sa.select(analyses).where(
            analyses.c.status.in_(_FINISHED), analyses.c.finished_at < when
        )
        with self.engine.connect() as db:
            return [_job(row) for row in db.execute(query)]

    def recover(self, owner: str) -> tuple[list[str], list[str]]:
        """After a restart: jobs this replica was running are failed, explicitly (we
        cannot know whether one of them is what brought the process down); queued jobs
        stay queued and the workers take them. Returns (failed ids, queued ids)."""
        with self.engine.begin() as db:
            rows = db.execute(
                sa.select(analyses).where(
                    analyses.c.status == AnalysisStatus.running.value, analyses.c.owner == owner
                )
            ).all()
            failed = []
            for row in rows:
                job = _job(row)
                job.failure_status = lifecycle.interrupt(job.analysis, job.request_id)
                db.execute(
                    sa.update(analyses)
                    .where(analyses.c.id == job.analysis.id)
                    .values(**_row_values(job))
                )
                failed.append(job.analysis.id)
            queued = db.execute(
                sa.select(analyses.c.id).where(analyses.c.status == AnalysisStatus.queued.value)
            ).scalars()
            return failed, list(queued)
