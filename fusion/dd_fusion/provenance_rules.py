"""Provenance rules: the only way what the file says enters a verdict.

Detectors give probabilities; provenance gives facts. The facts change a verdict only
through the rules below, each with an id and one sentence, and every rule that fires is
listed in the verdict's reasons (documented in libs/provenance/README.md).

    outcomes = apply_rules(report)           # pure: a ProvenanceReport in, outcomes out
    verdict = apply_to_verdict(verdict, outcomes)

Why an intact manifest declaring AI forces 'fake' even when its signer is not on our
trust list: the signature and hashes prove the declaration was made for exactly these
bytes, and nobody gains from falsely labelling their own content AI-made; trust matters
in the other direction (a camera signature saying 'captured'), where a forger would gain.
A generator trace is unsigned, yet a tool writing its own name is what generators do and
what cameras never do; a valid, trusted camera-signed manifest outweighs it.
"""

from __future__ import annotations

from dataclasses import dataclass

from dd_contracts.fusion import Verdict, VerdictLabel
from dd_contracts.provenance import (
    AI_SOURCE_TYPES,
    CAPTURE_SOURCE_TYPES,
    C2paValidation,
    ProvenanceReport,
    RuleOutcome,
    RuleSeverity,
    SectionState,
)

_INTACT = {C2paValidation.valid, C2paValidation.untrusted_signer}
_BROKEN = {C2paValidation.tampered, C2paValidation.invalid_signature, C2paValidation.invalid}


@dataclass(frozen=True)
class Rule:
    rule_id: str
    sentence: str
    severity: RuleSeverity
    forces_label: VerdictLabel | None = None


C2PA_AI = Rule(
    "PROV-C2PA-AI",
    "A content-credentials (C2PA) manifest whose signature and hashes verify declares the "
    "content AI-generated (IPTC digital source type trainedAlgorithmicMedia, "
    "compositeWithTrainedAlgorithmicMedia, algorithmicMedia or compositeSynthetic): fake.",
    RuleSeverity.verdict,
    VerdictLabel.fake,
)
GENERATOR_TRACE = Rule(
    "PROV-GENERATOR-TRACE",
    "Metadata written by a generative-AI tool (a PNG text chunk such as 'parameters', "
    "'prompt' or 'workflow', EXIF/XMP Software or CreatorTool naming a generator, XMP "
    "DigitalSourceType declaring AI): fake, unless PROV-CAMERA-SIGNED contradicts it.",
    RuleSeverity.verdict,
    VerdictLabel.fake,
)
CAMERA_SIGNED = Rule(
    "PROV-CAMERA-SIGNED",
    "A valid manifest from a trusted signer declares digital capture and nothing "
    "AI-generated: it outweighs unsigned generator metadata (the trace is reported, the "
    "label is left to the detectors).",
    RuleSeverity.info,
)
C2PA_CAPTURE = Rule(
    "PROV-C2PA-CAPTURE",
    "A valid manifest from a trusted signer declares digital capture: reported, not a "
    "verdict (edits after capture remain possible; the detectors decide).",
    RuleSeverity.info,
)
C2PA_INVALID = Rule(
    "PROV-C2PA-INVALID",
    "A content-credentials manifest fails validation (tampered content, invalid signature "
    "or other failure): a warning, never a verdict; what it declares is ignored.",
    RuleSeverity.warning,
)
C2PA_UNTRUSTED = Rule(
    "PROV-C2PA-UNTRUSTED",
    "A manifest's signature and hashes verify but its signer is not on our trust list: "
    "reported; it cannot vouch for a capture.",
    RuleSeverity.info,
)
C2PA_UNREADABLE = Rule(
    "PROV-C2PA-UNREADABLE",
    "Content credentials are present but could not be read within our bounds: a warning, "
    "never a verdict.",
    RuleSeverity.warning,
)
C2PA_REMOTE = Rule(
    "PROV-C2PA-REMOTE",
    "The file points to a remote manifest, which is not fetched (off by default): reported, "
    "never a verdict.",
    RuleSeverity.info,
)
METADATA_UNREADABLE = Rule(
    "PROV-METADATA-UNREADABLE",
    "Some metadata is malformed or over our limits (possibly crafted): a warning, never a verdict.",
    RuleSeverity.warning,
)
EDITOR_TRACE = Rule(
    "PROV-EDITOR-TRACE",
    "Metadata names an image editor (not a generator): reported; editing is not faking.",
    RuleSeverity.info,
)
DOUBLE_JPEG = Rule(
    "PROV-DOUBLE-JPEG",
    "Signs of an earlier JPEG compression (the file was re-saved at least once, as shared "
    "photos usually are): reported, never a verdict.",
    RuleSeverity.info,
)

RULES: tuple[Rule, ...] = (
    C2PA_AI,
    GENERATOR_TRACE,
    CAMERA_SIGNED,
    C2PA_CAPTURE,
    C2PA_INVALID,
    C2PA_UNTRUSTED,
    C2PA_UNREADABLE,
    C2PA_REMOTE,
    METADATA_UNREADABLE,
    EDITOR_TRACE,
    DOUBLE_JPEG,
)
# Absence of metadata or of content credentials is deliberately not a rule: most
# platforms strip both, so absence says nothing about the content.


def _fire(rule: Rule, reason: str) -> RuleOutcome:
    return RuleOutcome(
        rule_id=rule.rule_id,
        rule=rule.sentence,
        reason=reason,
        severity=rule.severity,
        forces_label=rule.forces_label,
    )


def apply_rules(report: ProvenanceReport | None) -> list[RuleOutcome]:
    """Every rule that fires for this report, in the order of ``RULES``. Pure."""
    if report is None:
        return []
    outcomes: list[RuleOutcome] = []
    c2pa = report.c2pa
    read = c2pa.state is SectionState.ok and c2pa.validation is not None
    intact = read and c2pa.validation in _INTACT
    trusted = read and c2pa.validation is C2paValidation.valid
    declared = set(c2pa.digital_source_types)
    ai_declared = sorted(declared & AI_SOURCE_TYPES)
    camera_signed = trusted and bool(declared & CAPTURE_SOURCE_TYPES) and not ai_declared
    signer = c2pa.signer_subject or "an unnamed signer"
    if c2pa.signer_issuer:
        signer += f" (issued by {c2pa.signer_issuer})"

    if intact and ai_declared:
        trust = "trusted signer" if trusted else "signer not on our trust list"
        agent = next(
            (a.software_agent for a in c2pa.actions if a.digital_source_type in AI_SOURCE_TYPES),
            None,
        )
        outcomes.append(
            _fire(
                C2PA_AI,
                f"Content credentials signed by {signer} ({trust}) declare "
                f"{', '.join(ai_declared)}" + (f", software agent {agent}" if agent else "") + ".",
            )
        )

    ai_traces = [t for t in report.traces if t.ai]
    if ai_traces:
        named = ", ".join(sorted({f"{t.tool} ({t.key})" for t in ai_traces}))
        if camera_signed:
            outcomes.append(
                _fire(
                    CAMERA_SIGNED,
                    f"Generator metadata ({named}) is contradicted by a valid manifest from "
                    f"{signer} declaring {', '.join(sorted(declared & CAPTURE_SOURCE_TYPES))}.",
                )
            )
        else:
            outcomes.append(_fire(GENERATOR_TRACE, f"Generator metadata found: {named}."))
    elif camera_signed:
        outcomes.append(
            _fire(
                C2PA_CAPTURE,
                f"Content credentials signed by {signer} declare "
                f"{', '.join(sorted(declared & CAPTURE_SOURCE_TYPES))}.",
            )
        )

    if read and c2pa.validation in _BROKEN:
        codes = ", ".join(f.code for f in c2pa.failures[:5]) or "no failure code given"
        ignored = f"; its declaration ({', '.join(ai_declared)}) is ignored" if ai_declared else ""
        outcomes.append(
            _fire(
                C2PA_INVALID,
                f"Content credentials are {c2pa.validation.value.replace('_', ' ')} "
                f"({codes}){ignored}.",
            )
        )
    if read and c2pa.validation is C2paValidation.untrusted_signer:
        outcomes.append(
            _fire(C2PA_UNTRUSTED, f"The manifest is signed by {signer}, not a trusted signer.")
        )
    if c2pa.state is SectionState.unreadable:
        outcomes.append(_fire(C2PA_UNREADABLE, c2pa.reason or "content credentials unreadable"))
    if c2pa.state is SectionState.skipped and c2pa.remote_url:
        outcomes.append(_fire(C2PA_REMOTE, f"Remote manifest at {c2pa.remote_url}, not fetched."))

    unreadable = []
    for section in (report.metadata, report.container, report.compression):
        if section is not None and section.state is SectionState.unreadable:
            unreadable.append(section.reason or "unreadable")
    if report.metadata is not None:
        unreadable.extend(report.metadata.unreadable)
    if unreadable:
        outcomes.append(_fire(METADATA_UNREADABLE, "; ".join(dict.fromkeys(unreadable))[:500]))

    editors = sorted({t.tool for t in report.traces if not t.ai})
    if editors:
        outcomes.append(_fire(EDITOR_TRACE, f"Edited or written with {', '.join(editors)}."))
    compression = report.compression
    if compression is not None and compression.double_compression:
        outcomes.append(
            _fire(
                DOUBLE_JPEG,
                f"Double-compression score {compression.double_compression_score} "
                f"(stored quality ≈ {compression.estimated_quality}).",
            )
        )
    return outcomes


def forced_label(outcomes: list[RuleOutcome]) -> VerdictLabel | None:
    """The label a fired rule imposes, if any (only 'fake' today)."""
    labels = {o.forces_label for o in outcomes if o.forces_label is not None}
    if VerdictLabel.fake in labels:
        return VerdictLabel.fake
    return next(iter(labels), None)


def apply_to_verdict(verdict: Verdict, outcomes: list[RuleOutcome]) -> Verdict:
    """The verdict with the provenance rules applied (a copy; the input is untouched).

    A forcing rule sets the label; the detectors' fused probability is kept as it is (it
    is still what the models say). The rule text names every rule that fired. When the
    Verdict contract has a ``reasons`` list, the outcomes are stored there too.
    """
    if not outcomes:
        return verdict
    update: dict[str, object] = {}
    label = forced_label(outcomes)
    if label is not None:
        update["label"] = label
    fired = ", ".join(o.rule_id for o in outcomes)
    update["rule"] = f"{verdict.rule}; provenance rules fired: {fired}"
    if "reasons" in type(verdict).model_fields:
        existing = list(getattr(verdict, "reasons", []) or [])
        update["reasons"] = existing + outcomes
    return verdict.model_copy(update=update)
