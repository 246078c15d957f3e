"""What to evaluate: a folder (``real/`` + ``fake/`` anywhere below it), a CSV of
``path,label[,split,group]``, or a corpus folder holding ``manifest.csv``
(scripts/make_eval_data.py)."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

AUDIO = {".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg", ".opus", ".oga"}
IMAGE = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}
VIDEO = {".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v"}
LABELS = {"real": 0, "fake": 1, "0": 0, "1": 1, "bonafide": 0, "spoof": 1}


@dataclass(frozen=True)
class Item:
    path: Path
    label: int  # 1 = fake
    modality: str
    split: str = "test"
    group: str = ""
    sha256: str = ""

    @property
    def label_name(self) -> str:
        return "fake" if self.label else "real"


def modality_of(path: Path) -> str | None:
    ext = path.suffix.lower()
    return (
        "audio" if ext in AUDIO else "image" if ext in IMAGE else "video" if ext in VIDEO else None
    )


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _item(
    path: Path, label: str, split: str = "test", group: str = "", sha: str = ""
) -> Item | None:
    modality = modality_of(path)
    if modality is None:
        return None
    if label.strip().lower() not in LABELS:
        raise ValueError(f"{path}: label {label!r} is not real/fake")
    return Item(
        path,
        LABELS[label.strip().lower()],
        modality,
        split or "test",
        group or path.parent.name,
        sha or file_hash(path),
    )


def _from_csv(path: Path) -> list[Item]:
    items = []
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            file = Path(row["path"])
            if not file.is_absolute():
                file = path.parent / file
            item = _item(
                file,
                row["label"],
                row.get("split", ""),
                row.get("group", ""),
                row.get("sha256", ""),
            )
            if item is not None:
                items.append(item)
    return items


def load(data: Path, modalities: set[str] | None = None, split: str | None = None) -> list[Item]:
    """Items of ``data`` (folder, corpus folder or CSV), optionally filtered."""
    data = Path(data)
    if data.is_file():
        items = _from_csv(data)
    elif (data / "manifest.csv").exists():
        items = _from_csv(data / "manifest.csv")
    elif data.is_dir():
        items = []
        for file in sorted(data.rglob("*")):
            if not file.is_file():
                continue
            parts = [p.lower() for p in file.relative_to(data).parts[:-1]]
            label = next((p for p in reversed(parts) if p in ("real", "fake")), None)
            if label is not None and (item := _item(file, label)) is not None:
                items.append(item)
    else:
        raise FileNotFoundError(f"{data} is neither a folder nor a CSV file")
    if modalities:
        items = [i for i in items if i.modality in modalities]
    if split:
        items = [i for i in items if i.split == split]
    return items


def data_hash(items: list[Item]) -> str:
    digest = hashlib.sha256()
    for item in sorted(items, key=lambda i: i.sha256):
        digest.update(f"{item.sha256}:{item.label}\n".encode())
    return digest.hexdigest()
