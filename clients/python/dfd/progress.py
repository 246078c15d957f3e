"""One status line on stderr (only on a terminal): the upload, then each modality live."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from dd_contracts.analysis import AnalysisEvent


class StatusLine:
    def __init__(self, label: str, enabled: bool = True, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled and self.stream.isatty()
        self.label = label
        self.modalities: dict[str, str] = {}
        self._last = 0.0
        self._width = 0

    def _show(self, text: str, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return  # redraw at most ten times a second
        self._last = now
        padding = " " * max(0, self._width - len(text))
        self._width = len(text)
        self.stream.write(f"\r{text}{padding}")
        self.stream.flush()

    def upload(self, sent: int, total: int) -> None:
        fraction = sent / total if total else 1.0
        filled = int(fraction * 30)
        bar = "#" * filled + "-" * (30 - filled)
        self._show(
            f"{self.label}: uploading [{bar}] {fraction:4.0%} "
            f"{sent / 1e6:.1f}/{total / 1e6:.1f} MB",
            force=sent == total,
        )

    def event(self, event: AnalysisEvent) -> None:
        if event.modality:
            if event.event == "progress" and event.fraction is not None:
                self.modalities[event.modality] = f"{event.fraction:.0%}"
            elif event.event == "started":
                self.modalities.setdefault(event.modality, "0%")
            elif event.event == "done":
                self.modalities[event.modality] = event.status or "done"
        parts = " · ".join(f"{m} {s}" for m, s in sorted(self.modalities.items()))
        state = {"queued": "queued", "fused": "fused", "failed": "failed"}.get(
            event.event, "analysing"
        )
        self._show(f"{self.label}: {state}  {parts}", force=event.event != "progress")

    def close(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
