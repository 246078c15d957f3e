"""A one-page, self-contained HTML report of a finished analysis (prints to one A4 page)."""

from __future__ import annotations

from html import escape

from dd_contracts import Analysis
from dd_gateway.analyses.provenance_summary import findings, fired_rules

_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#111;max-width:60rem}
h1{font-size:1.4rem;margin:0 0 .3rem}h2{font-size:1.05rem;margin:1.2rem 0 .4rem}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.25rem .4rem;
text-align:left;vertical-align:top}th{background:#f3f3f3}.verdict{font-size:1.3rem;
font-weight:700}.fake{color:#b00020}.real{color:#1b5e20}.uncertain{color:#8a6d00}
.note{background:#fff4e5;border-left:4px solid #f0a500;padding:.4rem .6rem}
small{color:#555}
@page{size:A4;margin:12mm}@media print{body{margin:0;font-size:11px}h2{margin-top:.6rem}}
"""


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def _row(*cells: object) -> str:
    return "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + "</tr>"


def render_html(analysis: Analysis) -> str:
    verdict = analysis.verdict
    label = verdict.label.value if verdict else analysis.status.value
    media = analysis.media
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>DeepfakeDetective report {escape(analysis.id)}</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>DeepfakeDetective analysis report</h1>",
        f"<small>Analysis {escape(analysis.id)} · created {analysis.created_at:%Y-%m-%d %H:%M} "
        f"UTC · status {escape(analysis.status.value)}</small>",
        f"<p class='verdict {escape(label)}'>Verdict: {escape(label.upper())}",
    ]
    if verdict:
        parts.append(f" — P(fake) {_pct(verdict.fake_probability)}")
    parts.append("</p>")
    if analysis.partial:
        parts.append(
            "<p class='note'>Partial verdict: "
            f"{escape(analysis.partial_reason or 'a modality could not be judged')}</p>"
        )
    if analysis.error:
        parts.append(f"<p class='note'>Failed: {escape(analysis.error.detail)}</p>")
    if verdict:
        parts.append(f"<p><small>{escape(verdict.rule)}</small></p>")
    parts.append("<h2>Media</h2><table>")
    parts.append(_row("File", media.filename or "—"))
    parts.append(_row("Kind / format", f"{media.kind.value} / {media.format} ({media.mime})"))
    parts.append(_row("Size", f"{media.size_bytes:,} bytes"))
    parts.append(_row("SHA-256", media.sha256))
    parts.append("</table><h2>Evidence per modality</h2><table>")
    parts.append(
        "<tr><th>Modality</th><th>Status</th><th>P(fake)</th><th>Confidence</th><th>Notes</th></tr>"
    )
    for name, result in analysis.modalities.items():
        notes = ", ".join([*result.flags, *([result.reason] if result.reason else [])])
        parts.append(
            _row(
                name,
                result.status.value,
                _pct(result.fake_probability),
                _pct(result.confidence),
                notes or "—",
            )
        )
    parts.append("</table>")
    parts.extend(_provenance(analysis))
    parts.append("<h2>Models</h2><table>")
    parts.append(
        "<tr><th>Model</th><th>Version</th><th>Weights</th><th>Task</th><th>SHA-256</th></tr>"
    )
    for model in analysis.models:
        sha = (model.sha256 or "—")[:16]
        parts.append(_row(model.name, model.version, model.weights.value, model.task, sha))
    parts.append("</table><p><small>Latencies (ms): ")
    parts.append(escape(", ".join(f"{k} {v:.0f}" for k, v in analysis.latencies_ms.items())))
    parts.append("</small></p></body></html>")
    return "".join(parts)


def _provenance(analysis: Analysis) -> list[str]:
    """What the file itself says, and the rules that fired (one section)."""
    report = analysis.provenance
    if report is None:
        return []
    parts = ["<h2>Provenance</h2><table>", "<tr><th>Finding</th><th>What the file says</th></tr>"]
    parts.extend(_row(field, value) for field, value in findings(report))
    parts.append("</table>")
    rules = fired_rules(analysis)
    if rules:
        parts.append("<table><tr><th>Rule fired</th><th>Effect</th><th>Why</th></tr>")
        parts.extend(_row(*rule) for rule in rules)
        parts.append("</table>")
    else:
        parts.append("<p><small>No provenance rule fired.</small></p>")
    return parts
