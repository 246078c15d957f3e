"""Exit codes (0 real, 1 fake, 2 uncertain / not assessed, 3 error) and the readable
verdict, through the `dfd` command against a scripted gateway that streams events."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from dfd.cli import main
from dfd.outcome import ExitCode, combined, describe, exit_code

from dd_contracts import Analysis
from tests.clients.python.stub_gateway import Script, document, stub_gateway

CASES = [
    (document("r", "real", 0.1), ExitCode.real),
    (document("f", "fake", 0.9), ExitCode.fake),
    (document("u", "uncertain", 0.52), ExitCode.uncertain),
    (document("n", "uncertain", None), ExitCode.uncertain),  # not assessed
    (
        document("e", None, None, "failed", {"type": "corrupt_media", "detail": "Damaged."}),
        ExitCode.error,
    ),
]


@pytest.mark.parametrize(("doc", "expected"), CASES, ids=[c[0]["id"] for c in CASES])
def test_analyze_exit_code_follows_the_verdict(
    doc: dict[str, object], expected: ExitCode, tmp_path: Path
) -> None:
    media = tmp_path / "x.jpg"
    media.write_bytes(b"\xff\xd8\xff" + b"0" * 100)
    analysis_id = str(doc["id"])
    accepted = {"id": analysis_id, "status": "queued", "location": f"/v1/analyses/{analysis_id}"}
    script = Script(posts=[(202, {}, accepted)], documents={analysis_id: doc})
    with stub_gateway(script) as url:
        result = CliRunner().invoke(main, ["analyze", str(media), "--url", url])
        as_json = CliRunner().invoke(main, ["analyze", "--json", str(media), "--url", url])
    assert result.exit_code == expected, result.output
    assert as_json.exit_code == expected
    assert Analysis.model_validate_json(as_json.stdout.strip()).id == analysis_id
    # It followed the event stream (not polling): one GET of /events per run.
    gets = [s.path for s in script.seen if s.method == "GET"]
    assert gets == [f"/v1/analyses/{analysis_id}/events"] * 2
    assert "x.jpg" in result.output


def test_readable_verdict_names_modalities_scores_and_flags() -> None:
    text = describe(Analysis.model_validate(document("f", "fake", 0.9)))
    assert "FAKE" in text and "P(fake) 0.900" in text
    assert "image" in text and "no_face" in text and "confidence 0.80" in text


def test_localised_audio_alerts_are_listed() -> None:
    doc = document("a", "real", 0.2)
    doc["modalities"] = {
        "audio": {
            "modality": "audio",
            "status": "ok",
            "fake_probability": 0.2,
            "confidence": 0.9,
            "evidence": {
                "kind": "audio",
                "duration_s": 120.0,
                "sample_rate": 16000,
                "speech_ratio": 0.9,
                "windows": [],
                "aggregation": "test",
                "alerts": [{"start_s": 40.0, "end_s": 52.5, "score": 0.93}],
            },
        }
    }
    text = describe(Analysis.model_validate(doc))
    assert "REAL" in text and "alert 40.0-52.5 s  P(fake) 0.930" in text


def test_not_assessed_and_error_read_as_such() -> None:
    assert "NOT ASSESSED" in describe(Analysis.model_validate(document("n", "uncertain", None)))
    failed = document("e", None, None, "failed", {"type": "corrupt_media", "detail": "Damaged."})
    assert "corrupt_media" in describe(Analysis.model_validate(failed))


def test_several_files_report_the_most_alarming_outcome() -> None:
    assert combined([ExitCode.real, ExitCode.uncertain]) == ExitCode.uncertain
    assert combined([ExitCode.real, ExitCode.fake, ExitCode.uncertain]) == ExitCode.fake
    assert combined([ExitCode.fake, ExitCode.error]) == ExitCode.error
    assert combined([]) == ExitCode.real
    assert exit_code(Analysis.model_validate(document("q", None, None, "running"))) == 2


def test_gateway_error_is_exit_3_with_the_type(tmp_path: Path) -> None:
    media = tmp_path / "x.jpg"
    media.write_bytes(b"not media")
    refusal = {"type": "unsupported_media_type", "detail": "Not media.", "request_id": "r9"}
    with stub_gateway(Script(posts=[(415, {}, refusal)])) as url:
        result = CliRunner().invoke(main, ["analyze", "--json", str(media), "--url", url])
    assert result.exit_code == ExitCode.error
    line = json.loads(result.stdout.strip().splitlines()[0])
    assert line["error"]["type"] == "unsupported_media_type" and line["error"]["status"] == 415
    assert "unsupported_media_type" in result.stderr


def test_usage_errors_exit_3_not_2_which_means_uncertain(tmp_path: Path) -> None:
    missing = subprocess.run(
        [sys.executable, "-m", "dfd", "analyze", str(tmp_path / "nope.jpg")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == ExitCode.error
    assert "does not exist" in missing.stderr


def test_an_answer_that_breaks_the_contracts_is_exit_3_not_a_traceback(tmp_path: Path) -> None:
    media = tmp_path / "x.jpg"
    media.write_bytes(b"\xff\xd8\xff" + b"0" * 100)
    with stub_gateway(Script(posts=[(200, {}, {"id": "x", "status": "sideways"})])) as url:
        result = CliRunner().invoke(main, ["analyze", str(media), "--url", url])
    assert result.exit_code == ExitCode.error
    assert "unexpected_answer" in result.stderr and result.exception is not None
    assert isinstance(result.exception, SystemExit)
