"""A tiny scripted gateway (stdlib HTTP server in a thread) for client-behaviour tests:
it answers POST /v1/analyses from a script (e.g. 429 with Retry-After, then 200), serves
documents and their event streams, and records every request it saw."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from dd_contracts import Analysis

CHUNK = 256 * 1024


def document(
    analysis_id: str = "a1",
    label: str | None = "fake",
    fake_probability: float | None = 0.9,
    status: str = "done",
    error: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A valid Analysis document (validated through the contracts)."""
    verdict: dict[str, Any] | None = None
    if label is not None:
        verdict = {
            "label": label,
            "fake_probability": fake_probability,
            "real_probability": None if fake_probability is None else 1 - fake_probability,
            "threshold": 0.5,
            "uncertain_band": 0.1,
            "partial": False,
            "contributions": [],
            "excluded": [],
            "rule": "test",
        }
    doc = {
        "id": analysis_id,
        "status": status,
        "created_at": datetime.now(UTC).isoformat(),
        "media": {
            "kind": "image",
            "mime": "image/jpeg",
            "format": "jpeg",
            "size_bytes": 10,
            "sha256": "0" * 64,
            "filename": "x.jpg",
        },
        "verdict": verdict,
        "modalities": {
            "image": {
                "modality": "image",
                "status": "ok",
                "fake_probability": fake_probability,
                "confidence": 0.8,
                "flags": ["no_face"],
            }
        },
        "error": error,
    }
    return Analysis.model_validate(doc).model_dump(mode="json")


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body_bytes: int
    at: float


@dataclass
class Script:
    # Answers to POST /v1/analyses, in order; the last one repeats.
    posts: list[tuple[int, dict[str, str], Any]] = field(default_factory=list)
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    def posts_seen(self) -> list[Seen]:
        return [s for s in self.seen if s.method == "POST"]


def _handler(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: object) -> None:
            pass

        def _drain(self) -> int:
            """Read and discard the body in chunks (never held in memory)."""
            left = int(self.headers.get("content-length") or 0)
            total = 0
            while left > 0:
                chunk = self.rfile.read(min(CHUNK, left))
                if not chunk:
                    break
                left -= len(chunk)
                total += len(chunk)
            return total

        def _record(self, body_bytes: int) -> None:
            script.seen.append(
                Seen(self.command, self.path, dict(self.headers), body_bytes, time.monotonic())
            )

        def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            self._record(self._drain())
            index = min(len(script.posts_seen()) - 1, len(script.posts) - 1)
            status, headers, body = script.posts[index]
            self._json(status, body, headers)

        def do_GET(self) -> None:
            self._record(0)
            path = self.path.split("?", 1)[0]
            parts = path.strip("/").split("/")
            if len(parts) >= 3 and parts[:2] == ["v1", "analyses"]:
                doc = script.documents.get(parts[2])
                if doc is None:
                    self._json(404, {"type": "not_found", "detail": "No.", "request_id": "r"})
                elif len(parts) == 4 and parts[3] == "events":
                    self._events(doc)
                else:
                    self._json(200, doc)
                return
            self._json(404, {"type": "not_found", "detail": "No.", "request_id": "r"})

        def _events(self, doc: dict[str, Any]) -> None:
            about = {"analysis_id": doc["id"]}
            image = {**about, "modality": "image"}
            end = "fused" if doc["status"] == "done" else "failed"
            events = [
                {"event": "queued", **about},
                {"event": "started", **image},
                {"event": "progress", **image, "fraction": 0.5},
                {"event": end, **about, "analysis": doc},
            ]
            payload = b": keep-alive\n\n" + b"".join(
                f"event: {e['event']}\ndata: {json.dumps(e)}\n\n".encode() for e in events
            )
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


@contextmanager
def stub_gateway(script: Script) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
