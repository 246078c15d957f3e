"""Content credentials: a manifest signed here, with a chain made here, read and validated
by c2pa-python; one flipped byte must turn 'valid' into 'tampered' and stop the rule."""

from __future__ import annotations

import struct

import dd_provenance.c2pa_read as c2pa_read
import pytest
from dd_provenance import ProvenanceSettings

from dd_contracts.fusion import VerdictLabel
from dd_contracts.provenance import C2paValidation, SectionState
from dd_fusion.provenance_rules import apply_rules, forced_label
from tests.libs.provenance.conftest import Inspect
from tests.libs.provenance.media import (
    SigningChain,
    camera_exif,
    jpeg,
    jpeg_with_xmp,
    sign_jpeg,
)


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


def _rule_ids(report) -> list[str]:  # type: ignore[no-untyped-def]
    return [o.rule_id for o in apply_rules(report)]


def test_signed_ai_image_is_valid_and_the_rule_forces_fake(
    chain: SigningChain, trusting: ProvenanceSettings, inspect_bytes: Inspect
) -> None:
    signed = sign_jpeg(jpeg(), chain, "trainedAlgorithmicMedia")
    report = inspect_bytes(signed, settings=trusting)

    c2pa = report.c2pa
    assert c2pa.state is SectionState.ok
    assert c2pa.validation is C2paValidation.valid
    assert c2pa.failures == []
    assert c2pa.embedded is True
    assert c2pa.signer_subject == chain.signer_name
    assert c2pa.signer_issuer == chain.issuer_org
    assert c2pa.claim_generator is not None and "dd-test-generator" in c2pa.claim_generator
    assert c2pa.digital_source_types == ["trainedAlgorithmicMedia"]
    created = [a for a in c2pa.actions if a.action == "c2pa.created"]
    assert created and created[0].digital_source_type == "trainedAlgorithmicMedia"
    assert created[0].software_agent == "DD Diffusion 1.0"

    outcomes = apply_rules(report)
    fired = {o.rule_id: o for o in outcomes}
    assert "PROV-C2PA-AI" in fired
    assert fired["PROV-C2PA-AI"].forces_label is VerdictLabel.fake
    assert "trainedAlgorithmicMedia" in fired["PROV-C2PA-AI"].reason
    assert chain.signer_name in fired["PROV-C2PA-AI"].reason
    assert forced_label(outcomes) is VerdictLabel.fake


def test_without_the_anchor_the_signer_is_untrusted_never_valid(
    chain: SigningChain, inspect_bytes: Inspect
) -> None:
    signed = sign_jpeg(jpeg(), chain, "trainedAlgorithmicMedia")
    report = inspect_bytes(signed)  # default settings: our throw-away CA is not trusted
    assert report.c2pa.validation is C2paValidation.untrusted_signer
    assert "signingCredential.untrusted" in [f.code for f in report.c2pa.failures]
    ids = _rule_ids(report)
    # The declaration is intact (signature and hashes verify), so it still counts.
    assert "PROV-C2PA-AI" in ids and "PROV-C2PA-UNTRUSTED" in ids


def test_one_flipped_image_byte_is_tampered_and_the_rule_does_not_fire(
    chain: SigningChain, trusting: ProvenanceSettings, inspect_bytes: Inspect
) -> None:
    signed = sign_jpeg(jpeg(), chain, "trainedAlgorithmicMedia")
    report = inspect_bytes(_flip_scan_byte(signed), settings=trusting)

    assert report.c2pa.state is SectionState.ok
    assert report.c2pa.validation is C2paValidation.tampered
    assert report.c2pa.validation is not C2paValidation.valid
    assert any("mismatch" in f.code for f in report.c2pa.failures)
    outcomes = apply_rules(report)
    ids = [o.rule_id for o in outcomes]
    assert "PROV-C2PA-AI" not in ids
    assert "PROV-C2PA-INVALID" in ids
    assert forced_label(outcomes) is None


def test_a_broken_signature_is_invalid_signature(
    chain: SigningChain, trusting: ProvenanceSettings, inspect_bytes: Inspect
) -> None:
    signed = bytearray(sign_jpeg(jpeg(), chain, "trainedAlgorithmicMedia"))
    # The COSE signature is the last thing in the claim signature box, just before the
    # picture's own segments; flip a byte near the end of the APP11 store.
    app11 = signed.find(b"\xff\xeb")
    (length,) = struct.unpack(">H", signed[app11 + 2 : app11 + 4])
    signed[app11 + 2 + length - 20] ^= 0xFF
    report = inspect_bytes(bytes(signed), settings=trusting)
    assert report.c2pa.validation in (C2paValidation.invalid_signature, C2paValidation.invalid)
    assert "PROV-C2PA-AI" not in _rule_ids(report)


def test_a_trusted_camera_manifest_outweighs_a_generator_trace(
    chain: SigningChain, trusting: ProvenanceSettings, inspect_bytes: Inspect
) -> None:
    base = jpeg(exif=camera_exif(software="Stable Diffusion XL"))
    signed = sign_jpeg(base, chain, "digitalCapture", agent="DD Camera 2.0")
    report = inspect_bytes(signed, settings=trusting)
    assert report.c2pa.validation is C2paValidation.valid
    assert report.c2pa.digital_source_types == ["digitalCapture"]
    assert [t.tool for t in report.traces if t.ai] == ["Stable Diffusion"]
    outcomes = apply_rules(report)
    ids = [o.rule_id for o in outcomes]
    assert "PROV-CAMERA-SIGNED" in ids and "PROV-GENERATOR-TRACE" not in ids
    assert forced_label(outcomes) is None


def test_an_untrusted_camera_manifest_does_not_outweigh_a_trace(
    chain: SigningChain, inspect_bytes: Inspect
) -> None:
    base = jpeg(exif=camera_exif(software="Stable Diffusion XL"))
    signed = sign_jpeg(base, chain, "digitalCapture", agent="DD Camera 2.0")
    report = inspect_bytes(signed)  # signer not trusted: anyone could have made it
    assert "PROV-GENERATOR-TRACE" in _rule_ids(report)


def test_files_without_a_manifest_report_absent(inspect_bytes: Inspect) -> None:
    report = inspect_bytes(jpeg())
    assert report.c2pa.state is SectionState.absent
    assert report.c2pa.validation is None
    assert apply_rules(report) == []


def test_remote_manifest_reference_is_not_fetched(
    inspect_bytes: Inspect, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_reader(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the C2PA reader must not be called for a remote reference")

    monkeypatch.setattr(c2pa_read.c2pa.Reader, "try_create", no_reader)
    url = "https://manifests.example.com/abc.c2pa"
    body = (
        f'<rdf:Description xmlns:dcterms="http://purl.org/dc/terms/" dcterms:provenance="{url}"/>'
    )
    report = inspect_bytes(jpeg_with_xmp(body))
    assert report.c2pa.state is SectionState.skipped
    assert report.c2pa.remote_url == url
    assert "not fetched" in (report.c2pa.reason or "")
    assert _rule_ids(report) == ["PROV-C2PA-REMOTE"]
