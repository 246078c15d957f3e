"""Weight files: where they are and whether they are the ones we pinned."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from dd_inference.detector import WeightsMissing

_CHUNK = 1 << 20
# The manifest committed with the code: used when a models folder has none of its own
# (a Docker volume, a test's temporary folder), so names still resolve to paths.
REPO_MANIFEST = Path(__file__).resolve().parents[3] / "models" / "manifest.json"


@lru_cache(maxsize=8)
def _manifest_files(path: str, mtime_ns: int) -> dict[str, str]:
    entries = json.loads(Path(path).read_text())["files"]
    return {str(e["name"]): str(e["file"]) for e in entries if "name" in e}


def manifest_path(models_dir: Path, name: str) -> str | None:
    """The relative path models/manifest.json gives the weight file called ``name``
    (the models folder's own manifest first, then the repository's), or None."""
    for manifest in (Path(models_dir) / "manifest.json", REPO_MANIFEST):
        if manifest.is_file():
            found = _manifest_files(str(manifest), manifest.stat().st_mtime_ns).get(name)
            if found is not None:
                return found
    return None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@lru_cache(maxsize=64)
def _cached_sha256(path: str, size: int, mtime_ns: int) -> str:
    return sha256_file(Path(path))


@dataclass(frozen=True)
class WeightFile:
    """One weight file under the models folder, e.g. ``mesonet/Meso4_DF.h5``."""

    models_dir: Path
    relative_path: str

    @property
    def path(self) -> Path:
        return self.models_dir / self.relative_path

    @classmethod
    def named(cls, models_dir: Path, name: str, default: str | None = None) -> WeightFile:
        """The weight file the manifest lists as ``name``; ``default`` (a relative path)
        for files the manifest does not pin, such as locally trained seed models."""
        relative = manifest_path(models_dir, name) or default
        if relative is None:
            raise ValueError(f"models/manifest.json lists no weight file named {name!r}")
        return cls(Path(models_dir), relative)

    def exists(self) -> bool:
        return self.path.is_file()

    def require(self) -> Path:
        if not self.exists():
            raise WeightsMissing(
                f"weight file {self.path} not found; run `make models` "
                "(or set DD_MODELS_MIRROR to a folder that holds it)"
            )
        return self.path

    def sha256(self) -> str | None:
        if not self.exists():
            return None
        stat = self.path.stat()
        return _cached_sha256(str(self.path), stat.st_size, stat.st_mtime_ns)

    def pinned_sha256(self) -> str | None:
        """The hash the manifest pins for this file, if the manifest lists it."""
        manifest = self.models_dir / "manifest.json"
        if not manifest.is_file():
            return None
        for entry in json.loads(manifest.read_text())["files"]:
            if entry["file"] == self.relative_path:
                return str(entry["sha256"])
        return None
