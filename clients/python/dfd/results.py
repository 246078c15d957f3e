"""The batch results file: CSV or JSON Lines, one row per file, appended as files finish
(so an interrupted run keeps what it finished) and compacted to one row per path when a
run completes."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

from dd_contracts import Analysis
from dd_contracts.catalogue import status_of

COLUMNS = [
    "path",
    "sha256",
    "status",
    "verdict",
    "fake_probability",
    "image_probability",
    "audio_probability",
    "video_probability",
    "model_versions",
    "analysis_id",
    "error_type",
    "error_detail",
]
MODALITIES = ("image", "audio", "video")

Row = dict[str, Any]

# Row statuses. done/failed are final (a re-run skips the file); submitted means the
# gateway holds the analysis (a re-run follows it by id, it does not upload again);
# error means the client could not finish (a re-run tries again).
DONE, FAILED, SUBMITTED, ERROR = "done", "failed", "submitted", "error"
FINAL = frozenset({DONE, FAILED})


def row_of(path: str, sha256: str, analysis: Analysis) -> Row:
    verdict = analysis.verdict
    row: Row = dict.fromkeys(COLUMNS)
    row.update(path=path, sha256=sha256, status=analysis.status.value, analysis_id=analysis.id)
    if verdict is not None:
        row["verdict"] = (
            verdict.label.value if verdict.fake_probability is not None else "not_assessed"
        )
        row["fake_probability"] = verdict.fake_probability
    for modality in MODALITIES:
        result = analysis.modalities.get(modality)
        row[f"{modality}_probability"] = result.fake_probability if result else None
    versions = sorted({f"{m.name}@{m.version}" for m in analysis.models})
    row["model_versions"] = ";".join(versions) or None
    if analysis.error is not None:
        row["error_type"] = analysis.error.type
        row["error_detail"] = analysis.error.detail
        if status_of(analysis.error.type) >= 500:
            # The platform failed (restart, service down), not the file: try it again.
            row["status"] = ERROR
    return row


def error_row(
    path: str, sha256: str | None, status: str, type_: str, detail: str, analysis_id: str | None
) -> Row:
    row: Row = dict.fromkeys(COLUMNS)
    row.update(
        path=path,
        sha256=sha256,
        status=status,
        analysis_id=analysis_id,
        error_type=type_,
        error_detail=" ".join(detail.split()),  # one line: one row per line
    )
    return row


def submitted_row(path: str, sha256: str, analysis_id: str) -> Row:
    row: Row = dict.fromkeys(COLUMNS)
    row.update(path=path, sha256=sha256, status=SUBMITTED, analysis_id=analysis_id)
    return row


class ResultsFile:
    def __init__(self, path: Path) -> None:
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".jsonl"):
            raise ValueError(f"the results file must end in .csv or .jsonl, not {path.name!r}")
        self.path = path
        self.is_csv = suffix == ".csv"

    def load(self) -> list[Row]:
        """Rows written so far; a line cut short by a killed run is dropped."""
        if not self.path.is_file():
            return []
        self._drop_torn_tail()
        text = self.path.read_text(encoding="utf-8")
        if self.is_csv:
            return [
                {k: (v if v != "" else None) for k, v in row.items()}
                for row in csv.DictReader(io.StringIO(text))
            ]
        rows = []
        for line in text.splitlines():
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
        return rows

    def _drop_torn_tail(self) -> None:
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            with self.path.open("r+b") as file:
                file.truncate(keep)

    def append(self, row: Row) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not self.path.exists() or self.path.stat().st_size == 0
        with self.path.open("a", encoding="utf-8", newline="") as file:
            file.write(self._format([row], header=fresh))

    def rewrite(self, rows: list[Row]) -> None:
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(self._format(rows, header=True), encoding="utf-8", newline="")
        os.replace(temporary, self.path)

    def _format(self, rows: list[Row], header: bool) -> str:
        if not self.is_csv:
            return "".join(json.dumps({k: row.get(k) for k in COLUMNS}) + "\n" for row in rows)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, COLUMNS, extrasaction="ignore", lineterminator="\n")
        if header:
            writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue()


def latest_by(rows: list[Row], key: str) -> dict[str, Row]:
    """The last row for each value of `key` (later rows supersede earlier ones)."""
    latest: dict[str, Row] = {}
    for row in rows:
        if row.get(key):
            latest[str(row[key])] = row
    return latest
