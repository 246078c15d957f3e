"""A one-page PDF report of a finished analysis (fpdf2: pure Python, core fonts).

Core PDF fonts speak Latin-1 only: any other character is shown as '?', never dropped
silently from the sentence around it.
"""

from __future__ import annotations

from fpdf import FPDF

from dd_contracts import Analysis
from dd_gateway.analyses.provenance_summary import findings, fired_rules

_WIDTH = 180.0


def _text(value: object) -> str:
    return str(value).encode("latin-1", "replace").decode("latin-1")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f} %"


def _table(pdf: FPDF, header: list[str], rows: list[list[str]], widths: list[float]) -> None:
    pdf.set_font("Helvetica", "B", 9)
    pdf.set_fill_color(240, 240, 240)
    for title, width in zip(header, widths, strict=True):
        pdf.cell(width, 6, _text(title), border=1, fill=True)
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    for row in rows:
        for cell, width in zip(row, widths, strict=True):
            text = _text(cell)
            while text and pdf.get_string_width(text) > width - 2:
                text = text[:-2] + "~"  # truncated: the JSON report has it all
            pdf.cell(width, 6, text, border=1)
        pdf.ln()


def render_pdf(analysis: Analysis) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, 15)
    pdf.add_page()
    pdf.set_title(f"DeepfakeDetective report {analysis.id}")
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 9, "DeepfakeDetective analysis report", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(
        0,
        5,
        _text(
            f"Analysis {analysis.id} - created {analysis.created_at:%Y-%m-%d %H:%M} UTC - "
            f"status {analysis.status.value}"
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    verdict = analysis.verdict
    label = verdict.label.value if verdict else analysis.status.value
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 14)
    line = f"Verdict: {label.upper()}"
    if verdict is not None:
        line += f" - P(fake) {_pct(verdict.fake_probability)}"
    pdf.cell(0, 8, _text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    if analysis.partial:
        pdf.multi_cell(
            _WIDTH, 5, _text(f"Partial verdict: {analysis.partial_reason or 'a modality failed'}")
        )
    if analysis.error is not None:
        pdf.multi_cell(_WIDTH, 5, _text(f"Failed ({analysis.error.type}): {analysis.error.detail}"))
    if verdict is not None:
        pdf.multi_cell(_WIDTH, 5, _text(f"Rule: {verdict.rule}"))

    media = analysis.media
    pdf.ln(2)
    _heading(pdf, "Media")
    _table(
        pdf,
        ["Field", "Value"],
        [
            ["File", media.filename or "-"],
            ["Kind / format", f"{media.kind.value} / {media.format} ({media.mime})"],
            ["Size", f"{media.size_bytes:,} bytes"],
            ["SHA-256", media.sha256],
        ],
        [40, 140],
    )
    _heading(pdf, "Per-modality scores")
    rows = [
        [
            name,
            result.status.value,
            _pct(result.fake_probability),
            _pct(result.confidence),
            ", ".join([*result.flags, *([result.reason] if result.reason else [])]) or "-",
        ]
        for name, result in analysis.modalities.items()
    ]
    _table(
        pdf, ["Modality", "Status", "P(fake)", "Confidence", "Notes"], rows, [25, 25, 22, 23, 85]
    )
    if verdict is not None and verdict.excluded:
        _heading(pdf, "Excluded from the verdict")
        _table(
            pdf,
            ["Modality", "Status", "Reason"],
            [[e.modality, e.status.value, e.reason] for e in verdict.excluded],
            [30, 30, 120],
        )
    if analysis.provenance is not None:
        _provenance(pdf, analysis)
    _heading(pdf, "Models")
    _table(
        pdf,
        ["Model", "Version", "Weights", "Task", "SHA-256"],
        [
            [m.name, m.version, m.weights.value, m.task, (m.sha256 or "-")[:16]]
            for m in analysis.models
        ],
        [50, 35, 20, 35, 40],
    )
    _heading(pdf, "Latencies (ms)")
    _table(
        pdf,
        ["Stage", "ms"],
        [[stage, f"{ms:.0f}"] for stage, ms in analysis.latencies_ms.items()],
        [60, 40],
    )
    return bytes(pdf.output())


def _heading(pdf: FPDF, title: str) -> None:
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")


def _provenance(pdf: FPDF, analysis: Analysis) -> None:
    """What the file itself says, and the rules that fired (one section)."""
    assert analysis.provenance is not None
    _heading(pdf, "Provenance")
    rows = [[field, value] for field, value in findings(analysis.provenance)]
    _table(pdf, ["Finding", "What the file says"], rows, [40, 140])
    rules = fired_rules(analysis)
    pdf.ln(1)
    if not rules:
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(0, 5, "No provenance rule fired.", new_x="LMARGIN", new_y="NEXT")
        return
    for rule_id, effect, why in rules:
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(0, 5, _text(f"{rule_id} ({effect})"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 9)
        pdf.multi_cell(_WIDTH, 5, _text(why), new_x="LMARGIN", new_y="NEXT")
