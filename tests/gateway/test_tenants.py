"""Tenants: every analysis belongs to the key that created it. Another key gets 404 on
everything about it; an admin key sees everything; operator routes need a key; service
addresses are shown to admins only."""

from __future__ import annotations

from fastapi.testclient import TestClient

from dd_contracts import Modality
from dd_gateway.core.container import container_of
from tests.fakes import FakeAnalyzer
from tests.gateway.conftest import Stack
from tests.media import jpeg_bytes


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _keys(client: TestClient) -> tuple[str, str, str]:
    keys = container_of(client.app).keys  # type: ignore[arg-type]
    return keys.create("a")[1], keys.create("b")[1], keys.create("ops", admin=True)[1]


def test_other_keys_cannot_see_an_analysis_the_admin_can(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.9)
    with stack.client(require_keys=True) as client:
        a, b, admin = _keys(client)
        doc = client.post(
            "/v1/analyses",
            params={"wait": "true"},
            files={"file": ("a.jpg", jpeg_bytes())},
            headers=_auth(a),
        ).json()
        base = f"/v1/analyses/{doc['id']}"
        paths = [
            base,
            f"{base}/report",
            f"{base}/report?format=pdf",
            f"{base}/media",
            f"{base}/events",
            f"{base}/artifacts/thumbnail.jpg",
        ]
        as_b = [client.get(path, headers=_auth(b)) for path in paths]
        listed_b = client.get("/v1/analyses", headers=_auth(b)).json()
        deleted_b = client.delete(base, headers=_auth(b))
        # B uploading the same bytes gets its own analysis, never A's stored one.
        b_same = client.post(
            "/v1/analyses",
            params={"wait": "true"},
            files={"file": ("b.jpg", jpeg_bytes())},
            headers=_auth(b),
        )
        as_a = [client.get(path, headers=_auth(a)).status_code for path in paths]
        listed_a = client.get("/v1/analyses", headers=_auth(a)).json()
        as_admin = [client.get(path, headers=_auth(admin)).status_code for path in paths]
        listed_admin = client.get("/v1/analyses", headers=_auth(admin)).json()
        deleted_admin = client.delete(base, headers=_auth(admin))
    for response in (*as_b, deleted_b):
        assert response.status_code == 404, response.request.url
        assert response.json()["type"] == "not_found"
    assert listed_b["total"] == 0 and listed_b["items"] == []
    assert "x-dd-cache" not in b_same.headers and b_same.json()["id"] != doc["id"]
    assert as_a == [200] * len(paths)
    assert [i["id"] for i in listed_a["items"]] == [doc["id"]]
    assert as_admin == [200] * len(paths)
    assert listed_admin["total"] == 2
    assert deleted_admin.status_code == 204


def test_operator_routes_and_internal_urls(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.9)
    with stack.client(require_keys=True) as client:
        a, _, admin = _keys(client)
        anonymous = [client.get(p).status_code for p in ("/metrics", "/openapi.json", "/docs")]
        tenant = [
            client.get(p, headers=_auth(a)).status_code
            for p in ("/metrics", "/openapi.json", "/docs")
        ]
        operator = client.get("/metrics", headers=_auth(admin))
        services_tenant = client.get("/v1/services", headers=_auth(a)).json()
        services_admin = client.get("/v1/services", headers=_auth(admin)).json()
        health = client.get("/healthz").status_code
        refused = client.get("/metrics").json()
    assert anonymous == [401, 401, 401]
    assert tenant == [403, 200, 200]
    assert operator.status_code == 200 and "dd_gateway_queue_depth" in operator.text
    assert all(s["url"] == "" for s in services_tenant)
    assert {s["name"]: s["url"] for s in services_admin}["image"] == "http://image.test:8001"
    assert health == 200
    assert refused["type"] == "unauthorized" and refused["request_id"]
