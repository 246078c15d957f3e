"""`dfd analyze`, `history`, `show`, `report` and the Python API against a real gateway
process (fake model services: every file scores P(fake) 0.7, so the verdict is fake)."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner
from dfd import Client, ExitCode
from dfd.cli import main

from dd_contracts import Analysis, AnalysisStatus
from tests.clients.python.conftest import RunningGateway
from tests.clients.python.media import write_folder

StartGateway = Callable[..., RunningGateway]


def test_analyze_uploads_the_exact_bytes_and_exits_by_verdict(
    start_gateway: StartGateway, tmp_path: Path
) -> None:
    gateway = start_gateway(delay_s=0.3)
    photo, voice = write_folder(tmp_path / "in", 2)
    result = CliRunner().invoke(
        main, ["analyze", "--json", str(photo), str(voice), "--url", gateway.url]
    )
    assert result.exit_code == ExitCode.fake, result.output
    docs = [Analysis.model_validate_json(line) for line in result.stdout.splitlines()]
    assert [d.media.kind for d in docs] == ["image", "audio"]
    for doc, path in zip(docs, (photo, voice), strict=True):
        assert doc.status is AnalysisStatus.done
        assert doc.media.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert doc.media.filename == path.name
        assert doc.verdict is not None and doc.verdict.label == "fake"
    readable = CliRunner().invoke(main, ["analyze", str(photo), "--url", gateway.url])
    assert readable.exit_code == ExitCode.fake
    assert "FAKE" in readable.stdout and "P(fake) 0.700" in readable.stdout


def test_bad_file_and_unreachable_gateway_are_exit_3(
    start_gateway: StartGateway, tmp_path: Path
) -> None:
    gateway = start_gateway()
    good, bad = write_folder(tmp_path / "in", 1, bad=1)
    result = CliRunner().invoke(main, ["analyze", str(bad), "--url", gateway.url])
    assert result.exit_code == ExitCode.error
    assert "unsupported_media_type" in result.stderr
    # A good file and a bad one: the error decides the exit code, both are reported.
    both = CliRunner().invoke(main, ["analyze", str(good), str(bad), "--url", gateway.url])
    assert both.exit_code == ExitCode.error and "FAKE" in both.stdout
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    down = CliRunner(env={"DFD_URL": closed}).invoke(
        main, ["show", "x", "--timeout", "2", "--retries", "1"]
    )
    assert down.exit_code == ExitCode.error and "connection_failed" in down.stderr


def test_no_wait_history_show_and_reports(start_gateway: StartGateway, tmp_path: Path) -> None:
    gateway = start_gateway(delay_s=0.5)
    photo, voice = write_folder(tmp_path / "in", 2)
    env = {"DFD_URL": gateway.url}
    accepted = CliRunner(env=env).invoke(main, ["analyze", "--no-wait", "--json", str(voice)])
    assert accepted.exit_code == 0, accepted.output
    analysis_id = json.loads(accepted.stdout)["id"]
    with Client(gateway.url) as client:
        finished = client.wait(analysis_id)
        assert finished.status is AnalysisStatus.done
        typed = client.analyze(photo, wait=True)
        assert isinstance(typed, Analysis) and typed.verdict is not None
        page = client.history(limit=10)
        assert page.total == 2 and {i.id for i in page.items} == {analysis_id, typed.id}
    listing = CliRunner(env=env).invoke(main, ["history"])
    assert listing.exit_code == 0 and analysis_id in listing.stdout and photo.name in listing.stdout
    shown = CliRunner(env=env).invoke(main, ["show", analysis_id])
    assert shown.exit_code == ExitCode.fake and voice.name in shown.stdout
    for fmt in ("json", "html", "pdf"):
        out = tmp_path / f"report.{fmt}"
        args = ["report", analysis_id, "--format", fmt, "-o", str(out)]
        report = CliRunner(env=env).invoke(main, args)
        assert report.exit_code == 0, report.output
        body = out.read_bytes()
        assert body.startswith(b"%PDF-") if fmt == "pdf" else analysis_id.encode() in body
    assert Analysis.model_validate_json((tmp_path / "report.json").read_text()).id == analysis_id
    missing = CliRunner(env=env).invoke(main, ["report", "nope", "-o", str(tmp_path / "n.html")])
    assert missing.exit_code == ExitCode.error and "not_found" in missing.stderr
    assert not (tmp_path / "n.html").exists()


def _create_key(data_dir: Path, name: str) -> str:
    created = subprocess.run(
        [sys.executable, "-m", "dd_gateway.keys", "create", name],
        env={**os.environ, "GATEWAY_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return created.stdout.split("key: ", 1)[1].strip()


def test_api_key_from_environment_or_config_file(
    start_gateway: StartGateway, tmp_path: Path
) -> None:
    data_dir = tmp_path / "keyed"
    key = _create_key(data_dir, "client")
    gateway = start_gateway(GATEWAY_REQUIRE_KEYS="true", GATEWAY_DATA_DIR=str(data_dir))
    (photo,) = write_folder(tmp_path / "in", 1)
    bare = {"DFD_URL": gateway.url, "DFD_API_KEY": "", "DFD_CONFIG": str(tmp_path / "none")}
    refused = CliRunner(env=bare).invoke(main, ["analyze", str(photo)])
    assert refused.exit_code == ExitCode.error and "unauthorized" in refused.stderr
    keyed = CliRunner(env={**bare, "DFD_API_KEY": key}).invoke(main, ["analyze", str(photo)])
    assert keyed.exit_code == ExitCode.fake, keyed.output
    config = tmp_path / "config.toml"
    config.write_text(f'url = "{gateway.url}"\napi_key = "{key}"\n')
    from_file = CliRunner(env={"DFD_URL": "", "DFD_API_KEY": "", "DFD_CONFIG": str(config)})
    listed = from_file.invoke(main, ["history", "--json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout)["total"] == 1
