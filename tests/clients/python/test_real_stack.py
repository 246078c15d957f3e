"""`dfd analyze` against the real stack (scripts/run_stack.py: gateway, fusion and the
three model services with their real weights): one shared file per modality, the exit
code following the verdict, and the same document through the Python API."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from dfd import AsyncClient, Client, exit_code
from dfd.outcome import describe

from dd_contracts import Analysis, AnalysisStatus
from tests.stack import RunningStack, running_stack

pytestmark = [pytest.mark.integration, pytest.mark.weights]

MEDIA = {
    "image": "faces/mesonet_fake_df00204.jpg",
    "audio": "speech/arctic_a0007.wav",
    "video": "astronaut_talk.mp4",
}


@pytest.fixture(scope="module")
def real_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """The real stack for this module only (torn down after it, so it never runs beside
    the integration suite's own stack)."""
    with running_stack(tmp_path_factory.mktemp("client-stack")) as running:
        yield running


def _dfd(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dfd", *args], capture_output=True, text=True, timeout=600
    )


@pytest.mark.parametrize("kind", list(MEDIA))
def test_analyze_one_file_per_modality(
    real_stack: RunningStack, shared_media: Path, kind: str
) -> None:
    url = real_stack.url("gateway")
    path = shared_media / MEDIA[kind]
    result = _dfd("analyze", "--json", str(path), "--url", url)
    assert result.returncode in (0, 1, 2), result.stderr + real_stack.log()
    doc = Analysis.model_validate_json(result.stdout.strip())
    print(describe(doc, path.name))  # shown with -rP or on failure
    assert doc.status is AnalysisStatus.done and doc.media.kind == kind
    assert kind in doc.modalities and doc.verdict is not None
    assert doc.models, "the document names the models that produced it"
    assert result.returncode == exit_code(doc)
    # The readable form of the same analysis, and the same document from the API.
    shown = _dfd("show", doc.id, "--url", url)
    assert shown.returncode == result.returncode
    assert doc.verdict.label.upper() in shown.stdout or "NOT ASSESSED" in shown.stdout
    for modality in doc.modalities:
        assert modality in shown.stdout
    with Client(url) as client:
        assert client.get(doc.id).verdict == doc.verdict


def test_async_client_against_the_real_stack(
    real_stack: RunningStack, shared_media: Path, tmp_path: Path
) -> None:
    url = real_stack.url("gateway")

    async def run() -> list[Analysis]:
        async with AsyncClient(url) as client:
            paths = [shared_media / MEDIA["image"], shared_media / "faces/astronaut.png"]
            return await asyncio.gather(*(client.analyze(p) for p in paths))

    docs = asyncio.run(run())
    assert [d.media.kind for d in docs] == ["image", "image"]
    assert all(d.status is AnalysisStatus.done and d.verdict is not None for d in docs)

    async def reports() -> int:
        async with AsyncClient(url) as client:
            return await client.save_report(docs[0].id, tmp_path / "r.html", "html")

    assert asyncio.run(reports()) > 0
    assert docs[0].id in (tmp_path / "r.html").read_text()
