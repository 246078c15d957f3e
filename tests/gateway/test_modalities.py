"""A modality added only through the modality table (DD_MODALITIES) is routed to, fused
and reported: no code change anywhere."""

from __future__ import annotations

import json
from enum import StrEnum

import pytest

from dd_contracts import Modality
from tests.fakes import FakeAnalyzer
from tests.gateway.conftest import Stack, fake_service, upload
from tests.media import jpeg_bytes

TOY_URL = "http://toy.test:8009"


class Toy(StrEnum):
    """A name for the fake analyzer (FakeAnalyzer names its models by `.value`)."""

    toy = "toy"


def test_toy_modality_from_the_table_is_routed_fused_and_reported(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = {"name": "toy", "url": TOY_URL, "timeout_s": 5, "kinds": ["image"], "weight": 3.0}
    monkeypatch.setenv("DD_MODALITIES", json.dumps([entry]))
    toy = FakeAnalyzer(Toy.toy, 0.99)  # type: ignore[arg-type]
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.2)
    stack.extra_apps[TOY_URL] = fake_service(toy)
    with stack.client() as client:
        doc = upload(client, jpeg_bytes(), "face.jpg", wait=True).json()
        report = client.get(f"/v1/analyses/{doc['id']}/report").text
        services = {s["name"] for s in client.get("/v1/services").json()}
    assert toy.calls == 1
    assert set(doc["modalities"]) == {"image", "toy"}
    assert doc["modalities"]["toy"]["status"] == "ok"
    contributions = {c["modality"]: c for c in doc["verdict"]["contributions"]}
    assert set(contributions) == {"image", "toy"}
    assert contributions["toy"]["weight"] == 3.0  # the fusion weight from the table
    # Weighted 3:1 in logit space, the toy's 0.99 outweighs the image's 0.2.
    assert doc["verdict"]["label"] == "fake"
    assert "fake-toy" in {m["name"] for m in doc["models"]}
    assert ">toy<" in report
    assert "toy" in services


def test_a_modality_without_a_service_is_reported_unavailable(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = {"name": "toy", "url": None, "timeout_s": 5, "kinds": ["image"]}
    monkeypatch.setenv("DD_MODALITIES", json.dumps([entry]))
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.9)
    with stack.client() as client:
        doc = upload(client, jpeg_bytes(), wait=True).json()
    assert doc["modalities"]["toy"]["status"] == "unavailable"
    assert doc["partial"] is True and doc["partial_reason"].startswith("toy: unavailable")
