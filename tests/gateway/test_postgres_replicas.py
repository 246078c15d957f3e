"""Two gateway replicas started at the same moment on an empty PostgreSQL database: both
migrate (under the advisory lock) and become ready, they share the queue, and a job
submitted to one is readable from the other. A real PostgreSQL (initdb on a free port)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from dd_service_kit.testing import free_port_block
from tests.gateway.postgres import binaries, throwaway_cluster
from tests.media import jpeg_bytes

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    binaries() is None, reason="PostgreSQL server binaries (initdb, pg_ctl) are not installed"
)


@pytest.fixture
def database_url() -> Iterator[str]:
    with throwaway_cluster() as url:
        yield url


def _start(port: int, replica: str, url: str, data_dir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": url,
        "GATEWAY_REPLICA_ID": replica,
        "GATEWAY_DATA_DIR": str(data_dir),  # one media folder for both, as in production
        "GATEWAY_MAX_RUNNING_JOBS": "1",
        "GATEWAY_CLAIM_POLL_S": "0.2",
        "GATEWAY_LOG_LEVEL": "WARNING",
        "OMP_NUM_THREADS": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tests.gateway.fake_stack", "--port", str(port), "--delay-s", "0.6"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_two_replicas_start_together_and_share_the_queue(database_url: str, tmp_path: Path) -> None:
    base = free_port_block(2)
    ports = {"a": base, "b": base + 1}
    # Started at the same moment, on a database with no tables at all.
    procs = {
        name: _start(port, name, database_url, tmp_path / "data") for name, port in ports.items()
    }
    try:
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        deadline = time.monotonic() + 90
        for name, url in urls.items():
            while True:
                proc = procs[name]
                if proc.poll() is not None:
                    pytest.fail(f"replica {name} exited: {proc.stderr.read().decode()[-3000:]}")  # type: ignore[union-attr]
                try:
                    if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, f"replica {name} not ready"
                time.sleep(0.2)
        # Six jobs through replica a only; each replica runs one job at a time.
        ids = []
        for i in range(6):
            files = {"file": (f"{i}.jpg", jpeg_bytes() + bytes([i]))}
            accepted = httpx.post(f"{urls['a']}/v1/analyses", files=files, timeout=30)
            assert accepted.status_code == 202, accepted.text
            ids.append(accepted.json()["id"])
        # Every one of them is readable from replica b, and finishes.
        deadline = time.monotonic() + 60
        for analysis_id in ids:
            while (doc := httpx.get(f"{urls['b']}/v1/analyses/{analysis_id}").json())[
                "status"
            ] not in ("done", "failed"):
                assert time.monotonic() < deadline, doc
                time.sleep(0.1)
            assert doc["status"] == "done" and doc["verdict"]["label"] == "fake"
        listed = httpx.get(f"{urls['b']}/v1/analyses").json()
        assert {item["id"] for item in listed["items"]} == set(ids)
        engine = sa.create_engine(database_url)
        with engine.connect() as db:
            runners: dict[str, str] = dict(
                db.execute(sa.text("SELECT id, owner FROM analyses")).tuples().all()
            )
            version = db.execute(sa.text("SELECT version_num FROM alembic_version")).all()
        engine.dispose()
        # Both replicas took jobs from the one queue.
        assert set(runners.values()) == {"a", "b"}, runners
        assert len(version) == 1  # migrated exactly once
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            proc.wait(timeout=20)
