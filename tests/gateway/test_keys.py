"""API keys: every /v1 call needs a valid key when keys are required; rate limits."""

from __future__ import annotations

import subprocess
import sys

from fastapi.testclient import TestClient

from dd_contracts import Modality
from dd_gateway.core.container import container_of
from dd_gateway.keys import KeyStore
from tests.fakes import FakeAnalyzer
from tests.gateway.conftest import Stack
from tests.media import jpeg_bytes


def _keys(client: TestClient) -> KeyStore:
    return container_of(client.app).keys  # type: ignore[arg-type]


def test_missing_wrong_and_revoked_keys_get_401(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.9)
    with stack.client(require_keys=True) as client:
        key, token = _keys(client).create("newsroom")
        missing = client.get("/v1/analyses")
        wrong = client.get("/v1/analyses", headers={"Authorization": "Bearer ddk_wrong"})
        good = client.get("/v1/analyses", headers={"Authorization": f"Bearer {token}"})
        via_header = client.post(
            "/v1/analyses",
            params={"wait": "true"},
            files={"file": ("a.jpg", jpeg_bytes())},
            headers={"X-API-Key": token},
        )
        assert _keys(client).revoke(key.id)
        revoked = client.get("/v1/analyses", headers={"Authorization": f"Bearer {token}"})
        upload_without = client.post("/v1/analyses", files={"file": ("a.jpg", jpeg_bytes())})
        # Liveness stays open; the operator routes need a key when keys are required.
        open_routes = [client.get(path).status_code for path in ("/healthz", "/metrics")]
    for response in (missing, wrong, revoked, upload_without):
        assert response.status_code == 401
        assert response.json()["type"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"
    assert good.status_code == 200
    assert via_header.status_code == 200 and via_header.json()["status"] == "done"
    assert open_routes == [200, 401]


def test_keys_are_stored_hashed(stack: Stack) -> None:
    with stack.client(require_keys=True) as client:
        _, token = _keys(client).create("ci")
    database = (stack.tmp_path / "data" / "gateway.sqlite3").read_bytes()
    assert token.encode() not in database
    assert len(token) > 40


def test_over_the_rate_gets_429_with_retry_after(stack: Stack) -> None:
    with stack.client(require_keys=True, rate_limit_per_minute=6, rate_limit_burst=3) as client:
        _, first = _keys(client).create("a")
        _, second = _keys(client).create("b")
        codes = [
            client.get("/v1/analyses", headers={"X-API-Key": first}).status_code for _ in range(5)
        ]
        limited = client.get("/v1/analyses", headers={"X-API-Key": first})
        other = client.get("/v1/analyses", headers={"X-API-Key": second})
    assert codes == [200, 200, 200, 429, 429]
    assert limited.json()["type"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 10
    assert other.status_code == 200  # limits are per key


def test_cli_creates_lists_and_revokes(stack: Stack) -> None:
    env = {"GATEWAY_DATA_DIR": str(stack.tmp_path / "cli"), "PATH": "/usr/bin:/bin"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dd_gateway.keys", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    created = cli("create", "desk")
    assert created.returncode == 0, created.stderr
    fields = dict(line.split(": ", 1) for line in created.stdout.splitlines())
    assert fields["key"].startswith("ddk_") and fields["name"] == "desk"
    listed = cli("list")
    assert fields["id"] in listed.stdout and "active" in listed.stdout
    assert fields["key"] not in listed.stdout
    assert cli("revoke", fields["id"]).returncode == 0
    assert "revoked" in cli("list").stdout
    assert cli("revoke", fields["id"]).returncode == 1
