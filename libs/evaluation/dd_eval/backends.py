"""Where the scores come from: the gateway's HTTP API (the path users take, the one that
counts) or, for quick local runs, the services' analyzers called in this process.

Both return an analysis document shaped like the gateway's ``Analysis``:
``{"verdict": {...} | None, "modalities": {name: ModalityResult as dict}}``.
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path
from typing import Any, Protocol

import httpx


class Backend(Protocol):
    name: str

    def analyze(self, path: Path, modality: str) -> dict[str, Any]: ...

    def close(self) -> None: ...


class BackendError(RuntimeError):
    """The media could not be analysed (the reason is kept in the results)."""


class HttpBackend:
    """POST /v1/analyses?wait=true&force=true to the gateway, one file at a time."""

    name = "gateway"

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        timeout_s: float = 600.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"X-API-Key": api_key} if api_key else {}
        self.url = url.rstrip("/")
        self.client = httpx.Client(
            base_url=self.url, headers=headers, timeout=timeout_s, transport=transport
        )
        self.timeout_s = timeout_s

    def check(self) -> None:
        try:
            response = self.client.get("/v1/services", timeout=10)
        except httpx.HTTPError as exc:
            raise BackendError(
                f"no gateway at {self.url}: {exc} (start it with `make run`, or use --in-process)"
            ) from exc
        if response.status_code >= 400:
            raise BackendError(
                f"gateway at {self.url} answered {response.status_code} on /v1/services"
            )

    def analyze(self, path: Path, modality: str) -> dict[str, Any]:
        with path.open("rb") as f:
            response = self.client.post(
                "/v1/analyses",
                params={"wait": "true", "force": "true"},
                files={"file": (path.name, f)},
            )
        if response.status_code == 202:
            return self._poll(response.json()["location"])
        if response.status_code >= 400:
            try:
                body = response.json()
                detail = f"{body.get('type')}: {body.get('detail')}"
            except ValueError:
                detail = response.text[:200]
            raise BackendError(f"HTTP {response.status_code} {detail}")
        doc: dict[str, Any] = response.json()
        return doc

    def _poll(self, location: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            doc: dict[str, Any] = self.client.get(location).json()
            if doc.get("status") in ("done", "failed", "partial", "completed"):
                return doc
            time.sleep(0.5)
        raise BackendError(f"analysis at {location} not finished in {self.timeout_s:.0f} s")

    def close(self) -> None:
        self.client.close()


class InProcessBackend:
    """The services' analyzers, built here exactly as each service builds its own
    (``build_analyzer(<Modality>Settings(...))``), for the modalities asked for.

    ``overrides`` are settings per modality, e.g. ``{"audio": {"detectors": ["aasist"]}}``.
    """

    name = "in-process"

    def __init__(
        self,
        models_dir: Path,
        threads: int = 1,
        overrides: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.models_dir = Path(models_dir)
        self.threads = threads
        self.overrides = overrides or {}
        self._analyzers: dict[str, Any] = {}

    def analyzer(self, modality: str) -> Any:
        """The loaded analyzer of one modality (built on first use)."""
        if modality not in self._analyzers:
            if modality not in ("audio", "image", "video"):
                raise BackendError(f"no analyzer for {modality}")
            settings_module = importlib.import_module(f"dd_{modality}.settings")
            settings_cls = getattr(settings_module, f"{modality.capitalize()}Settings")
            settings = settings_cls(
                models_dir=self.models_dir, threads=self.threads, **self.overrides.get(modality, {})
            )
            build = None
            for module in (f"dd_{modality}.analyzer", f"dd_{modality}.app"):
                build = getattr(importlib.import_module(module), "build_analyzer", None)
                if build is not None:
                    break
            if build is None:
                raise BackendError(f"dd_{modality} has no build_analyzer")
            analyzer = build(settings)
            analyzer.load()
            self._analyzers[modality] = analyzer
        return self._analyzers[modality]

    def analyze(self, path: Path, modality: str) -> dict[str, Any]:
        result = self.analyzer(modality).analyze(path)
        mod = result.model_dump(mode="json")
        return {"verdict": single_modality_verdict(mod), "modalities": {modality: mod}}

    def close(self) -> None:
        self._analyzers.clear()


def single_modality_verdict(
    mod: dict[str, Any], threshold: float = 0.5, band: float = 0.1
) -> dict[str, Any] | None:
    """The fusion rule for one modality (its logit is the fused logit): fake / real, or
    uncertain within ``band / confidence`` of the threshold."""
    p = mod.get("fake_probability")
    if mod.get("status") != "ok" or p is None:
        return None
    confidence = max(float(mod.get("confidence") or 0.0), 1e-3)
    if abs(p - threshold) < min(band / confidence, 0.5):
        label = "uncertain"
    else:
        label = "fake" if p >= threshold else "real"
    return {"label": label, "fake_probability": p, "threshold": threshold}
