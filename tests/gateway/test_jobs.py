"""The SQL job store: claiming is exclusive, and on PostgreSQL it skips locked rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.dialects import postgresql, sqlite

from dd_contracts import Analysis, AnalysisStatus, MediaInfo, MediaKind
from dd_gateway.analyses.repository import Job, SqlJobStore, pick_queued
from dd_gateway.core.db import make_engine, migrate


def _job(index: int) -> Job:
    analysis = Analysis(
        id=f"job{index}",
        status=AnalysisStatus.queued,
        created_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=index),
        media=MediaInfo(
            kind=MediaKind.image, mime="image/png", format="png", size_bytes=1, sha256="0" * 64
        ),
    )
    return Job(analysis=analysis, media_path=Path("/nowhere"), filename="a", request_id="r")


def test_postgres_claim_uses_skip_locked_and_sqlite_does_not() -> None:
    on_postgres = str(pick_queued(None, True).compile(dialect=postgresql.dialect()))
    on_sqlite = str(pick_queued(None, False).compile(dialect=sqlite.dialect()))
    assert on_postgres.endswith("FOR UPDATE SKIP LOCKED")
    assert "FOR UPDATE" not in on_sqlite


def test_claims_oldest_first_each_job_once_across_stores(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    first = SqlJobStore(make_engine(url))
    migrate(first.engine)
    second = SqlJobStore(make_engine(url))  # a second replica on the same database
    for index in (2, 0, 1):
        first.add(_job(index))
    claimed = [first.claim("a"), second.claim("b"), first.claim("a"), second.claim("b")]
    assert [job.analysis.id if job else None for job in claimed] == ["job0", "job1", "job2", None]
    assert first.count_queued() == 0
    # A replica restarting fails only the jobs it was running.
    failed, queued = second.recover("b")
    assert failed == ["job1"] and queued == []
    assert first.get("job0").analysis.status is AnalysisStatus.running  # type: ignore[union-attr]
    assert second.get("job1").analysis.error.type == "interrupted"  # type: ignore[union-attr]
