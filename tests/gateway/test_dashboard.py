"""The built dashboard at /: hashed assets cached forever, index.html never cached, the
SPA's client routes answered with index.html, API paths never; security headers on
every HTML answer (dashboard and report)."""

from __future__ import annotations

from pathlib import Path

from dd_contracts import Modality
from tests.fakes import FakeAnalyzer
from tests.gateway.conftest import Stack, upload
from tests.media import jpeg_bytes

INDEX = b"<!doctype html><html><body><div id=root></div></body></html>"


def _dist(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_bytes(INDEX)
    (dist / "assets" / "index-3f2a9c.js").write_text("console.log(1)")
    (dist / "favicon.svg").write_text("<svg/>")
    return dist


def _assert_html_headers(headers: object) -> None:
    csp = headers["content-security-policy"]  # type: ignore[index]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "'unsafe-inline'" in csp.split("style-src")[1]
    assert headers["x-content-type-options"] == "nosniff"  # type: ignore[index]
    assert headers["x-frame-options"] == "DENY"  # type: ignore[index]
    assert headers["referrer-policy"] == "no-referrer"  # type: ignore[index]


def test_dashboard_is_served_with_cache_and_security_headers(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.9)
    with stack.client(static_dir=_dist(stack.tmp_path)) as client:
        root = client.get("/")
        asset = client.get("/assets/index-3f2a9c.js")
        client_route = client.get("/analyses/abc123")
        favicon = client.get("/favicon.svg")
        missing_asset = client.get("/assets/nope.js")
        api_404 = client.get("/v1/nope")
        health = client.get("/healthz")
        docs = client.get("/docs")
        escape = client.get("/assets/..%2f..%2fgateway.sqlite3")
        doc = upload(client, jpeg_bytes(), wait=True).json()
        report = client.get(f"/v1/analyses/{doc['id']}/report")
    assert root.status_code == 200 and root.content == INDEX
    assert root.headers["cache-control"] == "no-cache"
    _assert_html_headers(root.headers)
    assert asset.status_code == 200
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert client_route.content == INDEX and client_route.headers["cache-control"] == "no-cache"
    assert favicon.content == b"<svg/>"
    assert missing_asset.status_code == 404
    assert api_404.status_code == 404 and api_404.json()["type"] == "not_found"
    assert health.json()["status"] == "ok"
    assert "swagger" in docs.text.lower() and docs.headers["x-frame-options"] == "DENY"
    assert escape.status_code == 404
    _assert_html_headers(report.headers)


def test_without_a_build_there_is_no_dashboard(stack: Stack) -> None:
    with stack.client(static_dir=stack.tmp_path / "nothing") as client:
        assert client.get("/").status_code == 404
