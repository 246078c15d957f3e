"""Provenance end to end through the real gateway app (fake model services, the real
fusion app): the document's provenance section, the ELA artifact, and the rules in the
verdict's reasons. Every file is made here, so every field checked is one the test wrote."""

from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from dd_contracts import Modality
from tests.fakes import FakeAnalyzer
from tests.gateway.conftest import Stack, upload
from tests.libs.provenance.media import (
    SigningChain,
    camera_exif,
    jpeg,
    make_chain,
    picture,
    png,
    sign_jpeg,
)

A1111_PARAMETERS = (
    "a castle on a hill, golden hour\nNegative prompt: blurry\n"
    "Steps: 30, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234, Size: 512x512, "
    "Model: sd_xl_base_1.0, Version: v1.9.4"
)
IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture(scope="module")
def chain() -> SigningChain:
    return make_chain()


def _client(stack: Stack, probability: float, **settings: object) -> TestClient:
    # The models say "real" (low probability): only a rule can make the label fake.
    stack.analyzers = {Modality.image: FakeAnalyzer(Modality.image, probability=probability)}
    stack.deployed = {Modality.image}
    return stack.client(**settings)


def _analyse(client: TestClient, data: bytes, name: str) -> dict:  # type: ignore[type-arg]
    response = upload(client, data, name, wait=True)
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["status"] == "done", doc
    return doc


def _fired(doc: dict) -> dict[str, dict]:  # type: ignore[type-arg]
    return {r["rule_id"]: r for r in doc["verdict"]["reasons"]}


def _flip_scan_byte(data: bytes) -> bytes:
    """One byte of the entropy-coded picture data changed (not a marker byte)."""
    sos = data.rfind(b"\xff\xda")
    (header,) = struct.unpack(">H", data[sos + 2 : sos + 4])
    pos = sos + 2 + header + 40
    while data[pos] in (0xFE, 0xFF, 0x00):
        pos += 1
    flipped = bytearray(data)
    flipped[pos] ^= 0x01
    return bytes(flipped)


def test_a1111_parameters_chunk_is_a_trace_and_forces_fake(stack: Stack) -> None:
    with _client(stack, probability=0.1) as client:
        doc = _analyse(client, png(text={"parameters": A1111_PARAMETERS}), "castle.png")

    provenance = doc["provenance"]
    traces = provenance["traces"]
    assert [t["key"] for t in traces] == ["tEXt:parameters"]
    assert traces[0]["source"] == "png_text" and traces[0]["ai"] is True
    assert "Stable Diffusion" in traces[0]["tool"] or "A1111" in traces[0]["tool"]
    verdict = doc["verdict"]
    assert verdict["label"] == "fake"
    # The models' probability is kept; the rule decided the label.
    assert verdict["fake_probability"] == pytest.approx(0.1, abs=0.05)
    fired = _fired(doc)
    assert fired["PROV-GENERATOR-TRACE"]["forces_label"] == "fake"
    assert fired["PROV-GENERATOR-TRACE"]["severity"] == "verdict"
    assert "PROV-GENERATOR-TRACE" in verdict["rule"]
    assert doc["latencies_ms"]["provenance"] > 0


def test_the_same_png_without_provenance_is_the_models_verdict(stack: Stack) -> None:
    with _client(stack, probability=0.1, provenance=False) as client:
        doc = _analyse(client, png(text={"parameters": A1111_PARAMETERS}), "castle.png")
    assert doc["provenance"] is None
    assert doc["verdict"]["label"] == "real"
    assert doc["verdict"]["reasons"] == []
    assert "provenance" not in doc["latencies_ms"]


def test_signed_ai_declaration_is_reported_and_fires(stack: Stack, chain: SigningChain) -> None:
    signed = sign_jpeg(jpeg(), chain, "trainedAlgorithmicMedia")
    with _client(stack, probability=0.1) as client:
        doc = _analyse(client, signed, "generated.jpg")

    c2pa = doc["provenance"]["c2pa"]
    assert c2pa["state"] == "ok"
    # No trust anchor configured: intact signature and hashes, signer unknown.
    assert c2pa["validation"] == "untrusted_signer"
    assert c2pa["signer_subject"] == chain.signer_name
    assert c2pa["digital_source_types"] == ["trainedAlgorithmicMedia"]
    assert "dd-test-generator" in c2pa["claim_generator"]
    fired = _fired(doc)
    assert fired["PROV-C2PA-AI"]["forces_label"] == "fake"
    assert "PROV-C2PA-UNTRUSTED" in fired
    assert doc["verdict"]["label"] == "fake"


def test_with_the_ca_as_trust_anchor_the_manifest_is_valid(
    stack: Stack, chain: SigningChain, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Read once at start-up, like a deployment's anchors.
    monkeypatch.setenv("DD_PROVENANCE_TRUST_ANCHORS_PEM", chain.ca_pem)
    signed = sign_jpeg(jpeg(), chain, "trainedAlgorithmicMedia")
    with _client(stack, probability=0.1) as client:
        doc = _analyse(client, signed, "generated.jpg")
    assert doc["provenance"]["c2pa"]["validation"] == "valid"
    assert "PROV-C2PA-AI" in _fired(doc)
    assert doc["verdict"]["label"] == "fake"


def test_one_flipped_byte_is_tampered_and_the_rule_does_not_fire(
    stack: Stack, chain: SigningChain
) -> None:
    signed = sign_jpeg(jpeg(), chain, "trainedAlgorithmicMedia")
    with _client(stack, probability=0.1) as client:
        doc = _analyse(client, _flip_scan_byte(signed), "generated.jpg")

    assert doc["provenance"]["c2pa"]["validation"] == "tampered"
    fired = _fired(doc)
    assert "PROV-C2PA-AI" not in fired
    assert fired["PROV-C2PA-INVALID"]["severity"] == "warning"
    assert fired["PROV-C2PA-INVALID"]["forces_label"] is None
    assert doc["verdict"]["label"] == "real"


def _camera_jpeg() -> bytes:
    buffer = io.BytesIO()
    picture(640, 480).save(buffer, "JPEG", quality=92, exif=camera_exif())
    return buffer.getvalue()


def test_camera_jpeg_reports_metadata_and_forces_nothing(stack: Stack) -> None:
    with _client(stack, probability=0.1) as client:
        doc = _analyse(client, _camera_jpeg(), "IMG_0001.jpg")
        ela_url = doc["provenance"]["compression"]["ela_url"]
        analysis_id = doc["id"]

        artifact = client.get(ela_url)
        assert artifact.status_code == 200
        assert artifact.headers["content-type"] == "image/png"
        assert artifact.headers["cache-control"] == IMMUTABLE
        etag = artifact.headers["etag"]
        ela = Image.open(io.BytesIO(artifact.content))
        assert 0 < max(ela.size) <= 512  # reduced to DD_PROVENANCE_ELA_MAX_SIDE
        again = client.get(ela_url, headers={"If-None-Match": etag})
        assert again.status_code == 304

    provenance = doc["provenance"]
    metadata = provenance["metadata"]
    assert metadata["state"] == "ok"
    assert metadata["make"] == "Canon" and metadata["model"] == "Canon EOS R5"
    assert metadata["lens"] == "RF24-105mm F4 L IS USM"
    assert metadata["software"] == "Firmware 1.8.1"
    assert metadata["gps_present"] is True
    assert provenance["traces"] == []
    compression = provenance["compression"]
    assert compression["estimated_quality"] == 92
    assert compression["table_family"] == "ijg"
    assert ela_url == f"/v1/analyses/{analysis_id}/artifacts/ela.png"
    verdict = doc["verdict"]
    assert verdict["label"] == "real"
    assert all(r["forces_label"] is None for r in verdict["reasons"])


def test_report_has_a_provenance_section(stack: Stack) -> None:
    with _client(stack, probability=0.1) as client:
        doc = _analyse(client, png(text={"parameters": A1111_PARAMETERS}), "castle.png")
        html = client.get(f"/v1/analyses/{doc['id']}/report", params={"format": "html"})
        pdf = client.get(f"/v1/analyses/{doc['id']}/report", params={"format": "pdf"})
    assert html.status_code == 200
    assert "<h2>Provenance</h2>" in html.text
    assert "PROV-GENERATOR-TRACE" in html.text
    assert doc["provenance"]["traces"][0]["tool"] in html.text
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = _pdf_text(pdf.content)
    assert b"Provenance" in text and b"PROV-GENERATOR-TRACE" in text


def _pdf_text(data: bytes) -> bytes:
    """The PDF's content streams, inflated (fpdf2 writes text as literal strings)."""
    out = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            out.append(zlib.decompress(match.group(1)))
        except zlib.error:
            out.append(match.group(1))
    return b"".join(out)
