"""The fusion rules on reports built by hand: each rule fires exactly when its sentence
says, and the verdict changes only through a forcing rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from dd_contracts.fusion import Verdict, VerdictLabel
from dd_contracts.provenance import (
    C2paAction,
    C2paReport,
    C2paValidation,
    CompressionTraces,
    GeneratorTrace,
    ImageMetadata,
    ProvenanceReport,
    SectionState,
    TraceSource,
)
from dd_fusion.provenance_rules import RULES, apply_rules, apply_to_verdict, forced_label

README = Path(__file__).resolve().parents[3] / "libs" / "provenance" / "README.md"


def _report(
    validation: C2paValidation | None = None,
    types: tuple[str, ...] = (),
    traces: tuple[GeneratorTrace, ...] = (),
) -> ProvenanceReport:
    c2pa = (
        C2paReport(state=SectionState.absent)
        if validation is None
        else C2paReport(
            state=SectionState.ok,
            validation=validation,
            signer_subject="Signer",
            digital_source_types=list(types),
            actions=[C2paAction(action="c2pa.created", digital_source_type=t) for t in types],
        )
    )
    return ProvenanceReport(
        kind="image",
        c2pa=c2pa,
        traces=list(traces),
        metadata=ImageMetadata(state=SectionState.absent),
    )


SD = GeneratorTrace(
    source=TraceSource.png_text, key="tEXt:parameters", tool="SD", ai=True, excerpt="x"
)
GIMP = GeneratorTrace(
    source=TraceSource.exif, key="EXIF:Software", tool="GIMP", ai=False, excerpt=""
)


def _ids(report: ProvenanceReport) -> list[str]:
    return [o.rule_id for o in apply_rules(report)]


@pytest.mark.parametrize(
    "ai_type", ["trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia"]
)
@pytest.mark.parametrize(
    ("validation", "fires"),
    [
        (C2paValidation.valid, True),
        (C2paValidation.untrusted_signer, True),
        (C2paValidation.tampered, False),
        (C2paValidation.invalid_signature, False),
        (C2paValidation.invalid, False),
    ],
)
def test_ai_declaration_counts_only_when_intact(
    validation: C2paValidation, fires: bool, ai_type: str
) -> None:
    outcomes = apply_rules(_report(validation, (ai_type,)))
    assert ("PROV-C2PA-AI" in [o.rule_id for o in outcomes]) is fires
    assert (forced_label(outcomes) is VerdictLabel.fake) is fires
    if not fires:
        assert "PROV-C2PA-INVALID" in [o.rule_id for o in outcomes]


def test_capture_declaration_never_forces_a_label() -> None:
    outcomes = apply_rules(_report(C2paValidation.valid, ("digitalCapture",)))
    assert [o.rule_id for o in outcomes] == ["PROV-C2PA-CAPTURE"]
    assert forced_label(outcomes) is None


def test_generator_trace_forces_fake_unless_a_trusted_capture_manifest() -> None:
    assert _ids(_report(traces=(SD,))) == ["PROV-GENERATOR-TRACE"]
    assert _ids(_report(C2paValidation.valid, ("digitalCapture",), (SD,))) == ["PROV-CAMERA-SIGNED"]
    untrusted = _ids(_report(C2paValidation.untrusted_signer, ("digitalCapture",), (SD,)))
    assert "PROV-GENERATOR-TRACE" in untrusted
    tampered = _ids(_report(C2paValidation.tampered, ("digitalCapture",), (SD,)))
    assert "PROV-GENERATOR-TRACE" in tampered


def test_editor_trace_is_information_only() -> None:
    outcomes = apply_rules(_report(traces=(GIMP,)))
    assert [o.rule_id for o in outcomes] == ["PROV-EDITOR-TRACE"]
    assert forced_label(outcomes) is None


def test_unreadable_sections_warn_and_never_decide() -> None:
    report = _report()
    report.c2pa = C2paReport(state=SectionState.unreadable, reason="bad box")
    report.compression = CompressionTraces(state=SectionState.unreadable, reason="cut")
    outcomes = apply_rules(report)
    assert [o.rule_id for o in outcomes] == ["PROV-C2PA-UNREADABLE", "PROV-METADATA-UNREADABLE"]
    assert all(o.severity == "warning" for o in outcomes)
    assert forced_label(outcomes) is None


def test_nothing_fires_for_nothing() -> None:
    assert apply_rules(None) == []
    assert apply_rules(_report()) == []


def _verdict(label: VerdictLabel, p: float | None) -> Verdict:
    return Verdict(
        label=label,
        fake_probability=p,
        real_probability=None if p is None else 1 - p,
        threshold=0.5,
        uncertain_band=0.1,
        partial=False,
        contributions=[],
        excluded=[],
        rule="weighted logits",
    )


def test_apply_to_verdict_forces_the_label_and_names_the_rules() -> None:
    outcomes = apply_rules(_report(C2paValidation.valid, ("trainedAlgorithmicMedia",)))
    for before in (_verdict(VerdictLabel.real, 0.1), _verdict(VerdictLabel.uncertain, None)):
        after = apply_to_verdict(before, outcomes)
        assert after.label is VerdictLabel.fake
        assert after.fake_probability == before.fake_probability  # the models' number kept
        assert "PROV-C2PA-AI" in after.rule
        assert before.label is not VerdictLabel.fake  # input untouched


def test_apply_to_verdict_with_warnings_only_keeps_the_label() -> None:
    outcomes = apply_rules(_report(C2paValidation.tampered, ("trainedAlgorithmicMedia",)))
    after = apply_to_verdict(_verdict(VerdictLabel.real, 0.1), outcomes)
    assert after.label is VerdictLabel.real and "PROV-C2PA-INVALID" in after.rule
    assert apply_to_verdict(_verdict(VerdictLabel.real, 0.1), []).rule == "weighted logits"


def test_every_rule_is_documented_in_the_readme() -> None:
    text = README.read_text()
    for rule in RULES:
        assert f"`{rule.rule_id}`" in text, rule.rule_id
