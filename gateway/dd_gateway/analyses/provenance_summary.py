"""The provenance section of the HTML and PDF reports, in words: one list of findings
(what the file says) and one of the rules that fired. Both renderers use these rows, so
the two reports never disagree."""

from __future__ import annotations

from dd_contracts import Analysis
from dd_contracts.provenance import ProvenanceReport, SectionState

_VALIDATION = {
    "valid": "valid (trusted signer)",
    "untrusted_signer": "signature and hashes verify; signer not on our trust list",
    "invalid_signature": "invalid signature",
    "tampered": "tampered: the content no longer matches what was signed",
    "invalid": "invalid",
}


def _state(state: SectionState, reason: str | None, absent: str) -> str:
    if state is SectionState.absent:
        return absent
    if state is SectionState.unreadable:
        return f"unreadable ({reason or 'malformed or over our limits'})"
    if state is SectionState.skipped:
        return f"not checked ({reason or 'not applicable'})"
    return "read"


def findings(report: ProvenanceReport) -> list[tuple[str, str]]:
    """(field, what the file says) rows; absent things said plainly, never as suspicious."""
    rows: list[tuple[str, str]] = []
    c2pa = report.c2pa
    if c2pa.state is SectionState.ok and c2pa.validation is not None:
        rows.append(("Content credentials", _VALIDATION[c2pa.validation.value]))
        signer = " / ".join(x for x in (c2pa.signer_subject, c2pa.signer_issuer) if x)
        rows.append(("Signer", signer or "not named"))
        if c2pa.claim_generator:
            rows.append(("Claim generator", c2pa.claim_generator))
        for action in c2pa.actions:
            source = f" ({action.digital_source_type})" if action.digital_source_type else ""
            rows.append(("Action", f"{action.action}{source}"))
    else:
        rows.append(("Content credentials", _state(c2pa.state, c2pa.reason, "none in this file")))
    if report.traces:
        for trace in report.traces:
            kind = "generator" if trace.ai else "editor"
            rows.append((f"Trace ({kind})", f"{trace.tool} - {trace.source.value} {trace.key}"))
    else:
        rows.append(("Generator traces", "none found"))
    meta = report.metadata
    if meta is not None:
        if meta.state is SectionState.ok:
            camera = " ".join(x for x in (meta.make, meta.model) if x)
            rows.append(("Camera", camera or "not recorded"))
            rows.append(("Lens", meta.lens or "not recorded"))
            rows.append(("Capture time", meta.capture_time or "not recorded"))
            rows.append(("Software", meta.software or meta.creator_tool or "not recorded"))
            rows.append(("GPS", "present (coordinates not copied)" if meta.gps_present else "no"))
            if meta.digital_source_type:
                rows.append(("Digital source type", meta.digital_source_type))
        else:
            rows.append(("Metadata", _state(meta.state, meta.reason, "none in this file")))
    container = report.container
    if container is not None:
        if container.state is SectionState.ok:
            rows.append(("Container", container.format or "unknown"))
            rows.append(("Encoder", container.encoder or "not recorded"))
            rows.append(("Creation time", container.creation_time or "not recorded"))
            device = ", ".join(f"{k} {v}" for k, v in container.device.items())
            rows.append(("Recording device", device or "not recorded"))
        else:
            rows.append(("Container", _state(container.state, container.reason, "no metadata")))
    compression = report.compression
    if compression is not None and compression.state is SectionState.ok:
        quality = compression.estimated_quality
        family = {"ijg": "standard (IJG) tables", "custom": "custom tables"}.get(
            compression.table_family or "", "tables unknown"
        )
        rows.append(("JPEG quality", f"{quality if quality is not None else '?'} ({family})"))
        if compression.double_compression is not None:
            score = compression.double_compression_score
            detail = f" (score {score:.2f})" if score is not None else ""
            signs = "signs found" if compression.double_compression else "no signs"
            rows.append(("Double compression", signs + detail))
    if report.timed_out:
        rows.append(("Time budget", "ran out; later sections were not read"))
    return rows


def fired_rules(analysis: Analysis) -> list[tuple[str, str, str]]:
    """(rule id, severity / label it forced, the rule and why it fired) rows."""
    verdict = analysis.verdict
    if verdict is None:
        return []
    rows = []
    for outcome in verdict.reasons:
        effect = outcome.severity.value
        if outcome.forces_label is not None:
            effect += f" -> {outcome.forces_label.value}"
        rows.append((outcome.rule_id, effect, f"{outcome.rule} {outcome.reason}"))
    return rows
