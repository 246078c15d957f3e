"""The gateway backend (against a mock gateway), the runner's resumable cache, and the
report folder, without any model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from dd_eval import report, runner
from dd_eval.backends import BackendError, HttpBackend
from dd_eval.calibration import Calibration
from dd_eval.dataset import Item, load


def _doc(p: float, label: str) -> dict[str, Any]:
    windows = [{"start_s": 0.0, "end_s": 4.04, "fake_probability": p, "speech": True}]
    return {
        "verdict": {"label": label, "fake_probability": p},
        "modalities": {
            "audio": {
                "status": "ok",
                "fake_probability": p,
                "confidence": 1.0,
                "flags": [],
                "models": [{"name": "aasist", "weights": "real"}],
                "condition": {"codec": "pcm_s16le", "sample_rate": 16000},
                "evidence": {"kind": "audio", "windows": windows},
            }
        },
    }


def _corpus(tmp_path: Path) -> Path:
    for label, n in (("real", 3), ("fake", 3)):
        folder = tmp_path / "data" / label
        folder.mkdir(parents=True)
        for i in range(n):
            (folder / f"{label}{i}.wav").write_bytes(f"RIFF {label} {i}".encode())
    (tmp_path / "data" / "real" / "notes.txt").write_text("not media")
    return tmp_path / "data"


def test_folder_and_csv_are_read(tmp_path: Path) -> None:
    data = _corpus(tmp_path)
    items = load(data)
    assert sorted((i.path.name, i.label) for i in items)[:2] == [("fake0.wav", 1), ("fake1.wav", 1)]
    assert len(items) == 6 and {i.modality for i in items} == {"audio"}
    csv = tmp_path / "list.csv"
    csv.write_text(
        "path,label,split\ndata/real/real0.wav,real,calibration\ndata/fake/fake0.wav,fake,test\n"
    )
    rows = load(csv)
    assert [(r.label, r.split) for r in rows] == [(0, "calibration"), (1, "test")]


def test_gateway_backend_runner_cache_and_report(tmp_path: Path) -> None:
    calls: list[str] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/services":
            return httpx.Response(200, json=[])
        assert request.url.path == "/v1/analyses"
        assert request.url.params["wait"] == "true" and request.url.params["force"] == "true"
        body = request.read()
        calls.append("x")
        if b"fake" in body:
            return httpx.Response(200, json=_doc(0.97, "fake"))
        if b"real 2" in body:
            return httpx.Response(415, json={"type": "unsupported_media_type", "detail": "no"})
        return httpx.Response(200, json=_doc(0.03, "real"))

    backend = HttpBackend("http://gw", transport=httpx.MockTransport(gateway))
    backend.check()
    items = load(_corpus(tmp_path))
    out = tmp_path / "report"
    records = runner.evaluate(items, ["clean"], backend, out, progress=False)
    assert len(calls) == 6
    errors = [r for r in records if r.get("error")]
    assert len(errors) == 1 and "415 unsupported_media_type" in errors[0]["error"]
    ok = [r for r in records if not r.get("error")]
    assert {r["band"] for r in ok} == {"lossless"} and all(r["windows"] for r in ok)

    # resumed: only the failed one is tried again
    runner.evaluate(items, ["clean"], backend, out, progress=False)
    assert len(calls) == 7

    cal = Calibration(
        version="v-test", detectors={"audio": {"default": {"method": "platt", "a": 0.5, "b": 0.0}}}
    )
    result = report.write(records, out, cal)
    audio = result["modalities"]["audio"]["overall"]
    assert audio["before"]["false_alarm_rate"] == 0.0 and audio["before"]["detection_rate"] == 1.0
    assert audio["before"]["roc_auc"] == 1.0 and audio["errors"] == 1
    assert audio["after"]["n_scored"] == 5
    for name in (
        "metrics.json",
        "robustness.md",
        "index.html",
        "audio_before_roc.png",
        "audio_after_reliability.png",
        "audio_before_confusion.png",
        "audio_before_hist.png",
        "audio_before_pr.png",
    ):
        assert (out / name).stat().st_size > 0, name
    assert "audio_before_roc.png" in (out / "index.html").read_text()
    assert json.loads((out / "metrics.json").read_text())["calibration"] == "v-test"


def test_no_gateway_is_a_clear_error() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(BackendError, match="no gateway"):
        HttpBackend("http://gw", transport=httpx.MockTransport(down)).check()


def test_item_label_name() -> None:
    assert Item(Path("a.wav"), 1, "audio").label_name == "fake"


def test_commands_are_registered_for_dfd() -> None:
    """`dfd` discovers evaluate/calibrate through the dfd.commands entry points."""
    from importlib.metadata import entry_points

    import click

    found = {ep.name: ep.load() for ep in entry_points(group="dfd.commands")}
    assert {"evaluate", "calibrate"} <= set(found)
    assert all(isinstance(found[n], click.Command) for n in ("evaluate", "calibrate"))


def test_calibrate_from_the_cache_alone(tmp_path: Path) -> None:
    """`calibrate --cached-only` fits on results already in --work, without a backend."""
    from click.testing import CliRunner

    from dd_eval.cli import calibrate

    _corpus(tmp_path)  # the files the CSV lists
    rows = ["path,label,split"]
    for i in range(3):
        split = "calibration" if i < 2 else "test"
        rows += [f"data/real/real{i}.wav,real,{split}", f"data/fake/fake{i}.wav,fake,{split}"]
    csv = tmp_path / "list.csv"
    csv.write_text("\n".join(rows) + "\n")

    def gateway(request: httpx.Request) -> httpx.Response:
        body = request.read()
        return httpx.Response(200, json=_doc(0.9 if b"fake" in body else 0.2, "real"))

    work = tmp_path / "work"
    backend = HttpBackend("http://gw", transport=httpx.MockTransport(gateway))
    runner.evaluate(load(csv), ["clean"], backend, work, progress=False)
    out = tmp_path / "cal.json"
    result = CliRunner().invoke(
        calibrate, [str(csv), "--cached-only", "--work", str(work), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    cal = Calibration.load(out)
    assert cal.detectors["audio"]["method"] in ("identity", "temperature", "platt", "isotonic")
    assert cal.apply("audio", "lossless", 0.9) > cal.apply("audio", "lossless", 0.2)
    empty = CliRunner().invoke(
        calibrate, [str(csv), "--cached-only", "--work", str(tmp_path / "none"), "--out", str(out)]
    )
    assert empty.exit_code != 0 and "no results" in empty.output


def test_a_service_not_ready_is_no_measurement_and_is_retried(tmp_path: Path) -> None:
    """The gateway answers while a model service is still loading: the result says
    'unavailable', which is not a score to count or to cache."""
    ready = False

    def gateway(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/services":
            return httpx.Response(200, json=[])
        doc = _doc(0.97, "fake")
        if not ready:
            doc["verdict"] = {"label": "uncertain", "fake_probability": None}
            doc["modalities"]["audio"] = {
                "status": "unavailable",
                "confidence": 0.0,
                "flags": [],
                "reason": "audio is not ready: loading models",
            }
        return httpx.Response(200, json=doc)

    backend = HttpBackend("http://gw", transport=httpx.MockTransport(gateway))
    items = [i for i in load(_corpus(tmp_path)) if i.label == 1]
    out = tmp_path / "report"
    first = runner.evaluate(items, ["clean"], backend, out, progress=False)
    assert all("service unavailable" in r["error"] for r in first)
    ready = True
    second = runner.evaluate(items, ["clean"], backend, out, progress=False)
    assert [r.get("error") for r in second] == [None] * len(items)
    assert {r["status"] for r in second} == {"ok"}
