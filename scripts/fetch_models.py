#!/usr/bin/env python3
"""Fill the models folder from models/manifest.json.

Each file is copied from a mirror folder (DD_MODELS_MIRROR or --mirror) when the mirror
holds it, otherwise downloaded from its pinned URL; either way its SHA-256 must match the
manifest or the file is refused and the command fails. Standard library only, so it runs
before any virtual environment exists.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import urllib.request
from pathlib import Path

CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _progress(name: str, done: int, total: int | None) -> None:
    if not sys.stderr.isatty():
        return
    if total:
        width = 30
        filled = int(width * done / total)
        bar = "#" * filled + "-" * (width - filled)
        sys.stderr.write(f"\r  {name} [{bar}] {done / 1e6:6.1f}/{total / 1e6:.1f} MB")
    else:
        sys.stderr.write(f"\r  {name} {done / 1e6:6.1f} MB")
    sys.stderr.flush()


def download(url: str, dest: Path, name: str, timeout: float) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": "deepfakedetective-models"})
    with urllib.request.urlopen(request, timeout=timeout) as response, dest.open("wb") as out:
        total = int(response.headers.get("Content-Length") or 0) or None
        done = 0
        while chunk := response.read(CHUNK):
            out.write(chunk)
            done += len(chunk)
            _progress(name, done, total)
    if sys.stderr.isatty():
        sys.stderr.write("\n")


def fetch(entry: dict[str, str], models_dir: Path, mirror: Path | None, timeout: float) -> str:
    target = models_dir / entry["file"]
    expected = entry["sha256"]
    if target.is_file() and sha256_of(target) == expected:
        return "present"
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False, suffix=".part") as tmp:
        staging = Path(tmp.name)
    try:
        source = mirror / entry["file"] if mirror else None
        if source is not None and source.is_file():
            shutil.copyfile(source, staging)
            how = f"copied from {source}"
        else:
            download(entry["url"], staging, entry["name"], timeout)
            how = f"downloaded from {entry['url']}"
        actual = sha256_of(staging)
        if actual != expected:
            raise SystemExit(
                f"refused {entry['file']}: SHA-256 {actual} != pinned {expected} ({how})"
            )
        os.replace(staging, target)
        return how
    finally:
        staging.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    repo = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--manifest", type=Path, default=repo / "models" / "manifest.json")
    parser.add_argument("--models-dir", type=Path, default=None)
    parser.add_argument("--mirror", type=Path, default=None, help="defaults to DD_MODELS_MIRROR")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)

    manifest = json.loads(args.manifest.read_text())
    models_dir = args.models_dir or args.manifest.parent
    mirror_env = os.environ.get("DD_MODELS_MIRROR")
    mirror = args.mirror or (Path(mirror_env) if mirror_env else None)
    if mirror is not None and not mirror.is_dir():
        print(f"mirror folder {mirror} does not exist", file=sys.stderr)
        return 2
    failures = 0
    for entry in manifest["files"]:
        try:
            how = fetch(entry, models_dir, mirror, args.timeout)
        except SystemExit as exc:
            print(f"  FAIL {exc}", file=sys.stderr)
            failures += 1
            continue
        except OSError as exc:
            print(f"  FAIL {entry['file']}: {exc}", file=sys.stderr)
            failures += 1
            continue
        print(f"  ok   {entry['file']} ({how})")
    if failures:
        print(f"{failures} model file(s) missing or refused", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
