"""What an analysis means for a shell script (exit codes) and for a reader (text)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from enum import IntEnum

from dd_contracts import Analysis, AnalysisStatus


class ExitCode(IntEnum):
    real = 0
    fake = 1
    uncertain = 2  # also: not assessed (no modality could judge the media)
    error = 3


# Several files: the most alarming outcome wins (an error, then fake, then uncertain).
_SEVERITY = {ExitCode.real: 0, ExitCode.uncertain: 1, ExitCode.fake: 2, ExitCode.error: 3}


def exit_code(analysis: Analysis) -> ExitCode:
    if analysis.status is AnalysisStatus.failed:
        return ExitCode.error
    verdict = analysis.verdict
    if analysis.status is not AnalysisStatus.done or verdict is None:
        return ExitCode.uncertain
    if verdict.fake_probability is None:
        return ExitCode.uncertain  # not assessed
    return {"fake": ExitCode.fake, "real": ExitCode.real}.get(
        str(verdict.label), ExitCode.uncertain
    )


def combined(codes: Iterable[ExitCode]) -> ExitCode:
    return max(codes, key=_SEVERITY.__getitem__, default=ExitCode.real)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _size(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} B"


def describe(analysis: Analysis, name: str | None = None) -> str:
    """A readable verdict: the label, P(fake), each modality's score, status and flags."""
    media = analysis.media
    title = name or media.filename or analysis.id
    lines = [f"{title}  ({media.kind}, {media.mime}, {_size(media.size_bytes)})  id {analysis.id}"]
    verdict = analysis.verdict
    if analysis.status is AnalysisStatus.failed:
        error = analysis.error
        reason = f"{error.type}: {error.detail}" if error else "no reason given"
        lines.append(f"  verdict   ERROR  {reason}")
    elif verdict is None:
        lines.append(f"  verdict   {analysis.status.value}  (no verdict yet)")
    else:
        label = verdict.label.upper() if verdict.fake_probability is not None else "NOT ASSESSED"
        lines.append(
            f"  verdict   {label}  P(fake) {_pct(verdict.fake_probability)}  "
            f"(threshold {verdict.threshold:.2f} ± {verdict.uncertain_band:.2f})"
        )
    for modality, result in sorted(analysis.modalities.items()):
        flags = f"  flags: {', '.join(result.flags)}" if result.flags else ""
        score = (
            f"P(fake) {_pct(result.fake_probability)}  confidence {result.confidence:.2f}"
            if result.fake_probability is not None
            else "P(fake) —"
        )
        lines.append(f"  {modality:<8}  {result.status.value:<11} {score}{flags}")
        if result.reason and result.status.value != "ok":
            lines.append(f"            {result.reason}")
        # Localised suspicious passages (audio), reported whatever the label.
        for alert in getattr(result.evidence, "alerts", None) or []:
            lines.append(
                f"            alert {alert.start_s:.1f}-{alert.end_s:.1f} s  "
                f"P(fake) {_pct(alert.score)}"
            )
    if analysis.partial and analysis.partial_reason:
        lines.append(f"  partial   {analysis.partial_reason}")
    if analysis.models:
        models = ", ".join(
            f"{m.name} {m.version}" + ("" if m.weights.value == "real" else f" ({m.weights.value})")
            for m in analysis.models
        )
        lines.extend(
            textwrap.wrap(
                models, width=100, initial_indent="  models    ", subsequent_indent=" " * 12
            )
        )
    return "\n".join(lines)
