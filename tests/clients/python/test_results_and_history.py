"""The results file survives a killed run, and history reads both list shapes."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from dfd.history import page_from_response
from dfd.results import ResultsFile, error_row, latest_by, row_of

from dd_contracts import Analysis
from tests.clients.python.stub_gateway import document


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_line_cut_short_is_dropped_and_appending_goes_on(tmp_path: Path, suffix: str) -> None:
    results = ResultsFile(tmp_path / f"out{suffix}")
    results.append(error_row("a.jpg", "aa", "error", "t", "multi\nline detail", None))
    with results.path.open("a") as file:
        file.write("b.jpg,bb,do" if suffix == ".csv" else '{"path": "b.jpg", "sha')  # killed
    rows = results.load()
    assert [r["path"] for r in rows] == ["a.jpg"]
    assert rows[0]["error_detail"] == "multi line detail"
    results.append(error_row("a.jpg", "aa", "failed", "t", "again", None))
    assert [r["status"] for r in results.load()] == ["error", "failed"]
    assert latest_by(results.load(), "path")["a.jpg"]["status"] == "failed"


def test_results_file_must_be_csv_or_jsonl(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.csv or \.jsonl"):
        ResultsFile(tmp_path / "out.txt")


def test_history_reads_the_page_and_the_older_list_shape() -> None:
    doc = document("a1", "fake", 0.9)
    summary = {
        "id": "a1",
        "status": "done",
        "kind": "image",
        "filename": "x.jpg",
        "mime": "image/jpeg",
        "size_bytes": 10,
        "created_at": doc["created_at"],
        "finished_at": None,
        "verdict_label": "fake",
        "fake_probability": 0.9,
        "thumbnail_url": None,
    }
    request = httpx.Request("GET", "http://x/v1/analyses")
    page = httpx.Response(
        200, json={"items": [summary], "total": 7, "limit": 1, "offset": 0}, request=request
    )
    old = httpx.Response(200, json=[doc], headers={"X-Total-Count": "7"}, request=request)
    new_shape, old_shape = page_from_response(page, 1, 0), page_from_response(old, 1, 0)
    for parsed in (new_shape, old_shape):
        assert parsed.total == 7 and len(parsed.items) == 1
        item = parsed.items[0]
        assert (item.id, item.verdict_label, item.fake_probability) == ("a1", "fake", 0.9)
        assert item.filename == "x.jpg" and str(item.kind) == "image"
    assert json.loads(Analysis.model_validate(doc).model_dump_json())["id"] == "a1"


def test_a_failed_analysis_is_final_only_when_the_file_is_to_blame() -> None:
    def failed(type_: str) -> Analysis:
        doc = document("x", None, None, "failed", {"type": type_, "detail": "d"})
        return Analysis.model_validate(doc)

    assert row_of("a.jpg", "aa", failed("corrupt_media"))["status"] == "failed"
    assert row_of("a.jpg", "aa", failed("interrupted"))["status"] == "error"  # retried
    done = row_of("b.jpg", "bb", Analysis.model_validate(document("y", "fake", 0.9)))
    assert (done["status"], done["verdict"], done["image_probability"]) == ("done", "fake", 0.9)
