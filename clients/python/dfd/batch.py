"""`dfd batch`: every media file under a folder, a bounded number at a time, resumable.

A re-run reads the results file first: a file whose content (SHA-256) already has a final
row (done or failed) is skipped; one whose analysis the gateway accepted (a submitted row,
or an error row with an analysis id) is followed by that id, never uploaded again, unless
the gateway no longer has it or it failed for a platform reason; any other is sent.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dd_contracts import Analysis
from dfd.async_client import AsyncClient
from dfd.errors import ApiError, DfdError
from dfd.results import (
    ERROR,
    FAILED,
    FINAL,
    SUBMITTED,
    ResultsFile,
    Row,
    error_row,
    latest_by,
    row_of,
    submitted_row,
)

_IMAGE = ".jpg .jpeg .png .webp .bmp .gif .tif .tiff .heic .heif .avif"
_AUDIO = ".wav .mp3 .flac .ogg .oga .opus .m4a .aac .wma .aiff .aif"
_VIDEO = ".mp4 .m4v .mov .mkv .webm .avi .mpg .mpeg .3gp .ts .wmv .flv"
MEDIA_SUFFIXES = frozenset(f"{_IMAGE} {_AUDIO} {_VIDEO}".split())
# Refusals that are about the file itself: final, a re-run would get the same answer.
FILE_REFUSALS = frozenset({400, 413, 415, 422})


def discover(root: Path, every_file: bool = False) -> list[Path]:
    """Media files under root (by extension unless every_file), hidden ones left out."""
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if every_file or path.suffix.lower() in MEDIA_SUFFIXES:
            found.append(path)
    return found


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class BatchSummary:
    counts: dict[str, int] = field(default_factory=dict)
    skipped: int = 0

    def add(self, status: str) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1

    @property
    def errors(self) -> int:
        return self.counts.get(ERROR, 0)


RowFn = Callable[[Row, bool], None]
"""Told of each row as it is written, and whether it was skipped (already finished)."""


class BatchRun:
    def __init__(
        self,
        client: AsyncClient,
        root: Path,
        results: ResultsFile,
        concurrency: int = 4,
        force: bool = False,
        on_row: RowFn | None = None,
    ) -> None:
        self.client = client
        self.root = root
        self.results = results
        self.slots = asyncio.Semaphore(max(1, concurrency))
        self.force = force
        self.on_row = on_row
        self.summary = BatchSummary()
        self.previous = latest_by(results.load(), "sha256")
        self._same_bytes: dict[str, asyncio.Future[Row]] = {}

    async def run(self, files: list[Path]) -> BatchSummary:
        async with asyncio.TaskGroup() as group:
            for path in files:
                group.create_task(self._one(path))
        self._compact()
        return self.summary

    def _write(self, row: Row, skipped: bool = False) -> None:
        self.results.append(row)
        if row["status"] != SUBMITTED and not skipped:
            self.summary.add(row["status"])
        if self.on_row:
            self.on_row(row, skipped)

    def _compact(self) -> None:
        """One row per path (the latest), in path order."""
        rows = latest_by(self.results.load(), "path")
        self.results.rewrite([rows[key] for key in sorted(rows)])

    async def _one(self, path: Path) -> None:
        name = path.relative_to(self.root).as_posix()
        async with self.slots:
            try:
                sha = await asyncio.to_thread(sha256_of, path)
            except OSError as exc:
                self._write(error_row(name, None, ERROR, "unreadable", str(exc), None))
                return
            prior = self.previous.get(sha)
            if prior and prior.get("status") in FINAL and not self.force:
                self.summary.skipped += 1
                if prior.get("path") != name:  # the same bytes under another name
                    self._write({**prior, "path": name}, skipped=True)
                elif self.on_row:
                    self.on_row(prior, True)
                return
            if sha in self._same_bytes:  # the same bytes twice in this folder
                row = await self._same_bytes[sha]
                self._write({**row, "path": name})
                return
            pending: asyncio.Future[Row] = asyncio.get_running_loop().create_future()
            self._same_bytes[sha] = pending
            try:
                # An analysis the gateway already holds is followed, not uploaded again.
                resume_id = prior.get("analysis_id") if prior else None
                row = await self._analyse(path, name, sha, resume_id)
            except BaseException:
                pending.cancel()
                raise
            pending.set_result(row)
            self._write(row)

    async def _analyse(self, path: Path, name: str, sha: str, resume_id: str | None) -> Row:
        analysis_id = resume_id
        try:
            analysis: Analysis | None = None
            if analysis_id is not None:
                try:
                    analysis = await self.client.wait(analysis_id)
                except ApiError as exc:
                    if exc.status != 404:
                        raise
                    analysis = None  # gone (deleted, or another database): upload again
                if analysis is not None and row_of(name, sha, analysis)["status"] == ERROR:
                    analysis = None  # it failed for the platform's sake: upload again
            if analysis is None:
                analysis_id, analysis = await self._submit(path, name, sha)
                if analysis is None:
                    analysis = await self.client.wait(analysis_id)
            return row_of(name, sha, analysis)
        except ApiError as exc:
            status = FAILED if exc.status in FILE_REFUSALS else ERROR
            return error_row(name, sha, status, exc.type, exc.detail, analysis_id)
        except DfdError as exc:
            return error_row(name, sha, ERROR, exc.type, exc.detail, analysis_id)
        except Exception as exc:  # one file's surprise must not stop the others
            return error_row(name, sha, ERROR, type(exc).__name__, str(exc), analysis_id)

    async def _submit(self, path: Path, name: str, sha: str) -> tuple[str, Analysis | None]:
        """Upload; an accepted analysis is recorded at once (status submitted). If the run
        is interrupted while the upload is in flight, the upload is let finish and recorded,
        so the re-run follows it instead of sending the file a second time."""
        upload = asyncio.ensure_future(self.client.submit(path, force=self.force))
        try:
            answer = await asyncio.shield(upload)
        except asyncio.CancelledError:
            try:
                answer = await upload
            except Exception:
                raise asyncio.CancelledError() from None
            if not isinstance(answer, Analysis):
                self.results.append(submitted_row(name, sha, answer.id))
            else:
                self.results.append(row_of(name, sha, answer))
            raise
        if isinstance(answer, Analysis):
            return answer.id, answer
        self._write(submitted_row(name, sha, answer.id))
        return answer.id, None


def row_line(row: Row) -> str:
    probability = row.get("fake_probability")
    score = f"{float(probability):.3f}" if probability not in (None, "") else "—"
    outcome = row.get("verdict") or row.get("error_type") or ""
    return f"{row['status']:<7} {outcome:<13} {score:>6}  {row['path']}"
