"""make models: mirror copy, pinned download, and refusal of a file whose hash differs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.script_loader import load_script

REPO = Path(__file__).resolve().parents[2]


fetch_models = load_script("fetch_models")


def write_manifest(tmp_path: Path, entries: list[dict[str, str]]) -> Path:
    manifest = tmp_path / "models" / "manifest.json"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps({"files": entries}))
    return manifest


def entry(name: str, data: bytes, url: str) -> dict[str, str]:
    return {
        "name": name,
        "file": f"sub/{name}.bin",
        "url": url,
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def test_copies_from_mirror_and_is_idempotent(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    (mirror / "sub").mkdir(parents=True)
    (mirror / "sub/w.bin").write_bytes(b"weights")
    manifest = write_manifest(tmp_path, [entry("w", b"weights", "http://unused.invalid/w")])
    assert fetch_models.main(["--manifest", str(manifest), "--mirror", str(mirror)]) == 0
    assert (tmp_path / "models/sub/w.bin").read_bytes() == b"weights"
    # Second run: present, no copy needed even without the mirror.
    assert fetch_models.main(["--manifest", str(manifest)]) == 0


def test_downloads_pinned_url_when_mirror_lacks_file(tmp_path: Path) -> None:
    upstream = tmp_path / "upstream.bin"
    upstream.write_bytes(b"from the internet")
    manifest = write_manifest(tmp_path, [entry("d", b"from the internet", upstream.as_uri())])
    assert fetch_models.main(["--manifest", str(manifest), "--mirror", str(tmp_path)]) == 0
    assert (tmp_path / "models/sub/d.bin").read_bytes() == b"from the internet"


def test_refuses_file_whose_hash_differs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mirror = tmp_path / "mirror"
    (mirror / "sub").mkdir(parents=True)
    (mirror / "sub/w.bin").write_bytes(b"tampered")
    manifest = write_manifest(tmp_path, [entry("w", b"weights", "http://unused.invalid/w")])
    assert fetch_models.main(["--manifest", str(manifest), "--mirror", str(mirror)]) == 1
    assert not (tmp_path / "models/sub/w.bin").exists()
    assert not list((tmp_path / "models/sub").glob("*.part"))
    assert "refused" in capsys.readouterr().err


def test_missing_mirror_folder_is_an_error(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, [])
    assert fetch_models.main(["--manifest", str(manifest), "--mirror", str(tmp_path / "no")]) == 2


def test_repo_manifest_pins_every_file() -> None:
    manifest = json.loads((REPO / "models/manifest.json").read_text())
    for item in manifest["files"]:
        assert len(item["sha256"]) == 64
        # Pinned to a commit, never a moving branch.
        assert "/raw/main/" not in item["url"] and "/raw/master/" not in item["url"]
