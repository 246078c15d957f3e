"""History: list (paged, filtered, newest first), delete with media, stored-result reuse,
reports and live events."""

from __future__ import annotations

import json
import time
from pathlib import Path

from dd_contracts import Modality
from dd_gateway.core.container import container_of
from tests.fakes import FakeAnalyzer
from tests.gateway.clips import wav_bytes
from tests.gateway.conftest import Stack, upload, wait_finished
from tests.media import jpeg_bytes, png_bytes


def _media_files(stack: Stack) -> list[Path]:
    return sorted((stack.tmp_path / "data" / "media").iterdir())


def test_list_is_paged_newest_first_and_filtered(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.95)
    stack.analyzers[Modality.audio] = FakeAnalyzer(Modality.audio, 0.05)
    wav = wav_bytes()
    with stack.client() as client:
        ids = [upload(client, jpeg_bytes() + bytes([i]), wait=True).json()["id"] for i in range(3)]
        ids.append(upload(client, wav, "a.wav", wait=True).json()["id"])
        page = client.get("/v1/analyses", params={"limit": 2})
        assert page.headers["x-total-count"] == "4"
        assert page.json()["total"] == 4
        assert [a["id"] for a in page.json()["items"]] == [ids[3], ids[2]]
        second = client.get("/v1/analyses", params={"limit": 2, "offset": 2}).json()
        assert [a["id"] for a in second["items"]] == [ids[1], ids[0]]
        assert (second["limit"], second["offset"]) == (2, 2)
        images = client.get("/v1/analyses", params={"kind": "image"}).json()["items"]
        assert {a["id"] for a in images} == set(ids[:3])
        real = client.get("/v1/analyses", params={"verdict": "real"}).json()["items"]
        assert [a["id"] for a in real] == [ids[3]]
        # A summary, not the document: the document is one GET away.
        assert real[0]["verdict_label"] == "real" and "modalities" not in real[0]
        document = client.get(f"/v1/analyses/{ids[3]}").json()
        assert document["modalities"]["audio"]["fake_probability"] == 0.05
        assert real[0]["fake_probability"] == document["verdict"]["fake_probability"]
        bad = client.get("/v1/analyses", params={"kind": "text"})
        assert bad.status_code == 422 and bad.json()["type"] == "validation_error"


def test_delete_removes_document_and_media(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.9)
    with stack.client() as client:
        first = upload(client, jpeg_bytes(), wait=True).json()
        same_bytes = upload(client, jpeg_bytes(), wait=True, force=True).json()
        assert len(_media_files(stack)) == 1  # content-addressed: stored once
        assert client.delete(f"/v1/analyses/{first['id']}").status_code == 204
        assert len(_media_files(stack)) == 1  # still needed by the second analysis
        assert client.get(f"/v1/analyses/{first['id']}").status_code == 404
        assert client.delete(f"/v1/analyses/{same_bytes['id']}").status_code == 204
        assert _media_files(stack) == []
        again = client.delete(f"/v1/analyses/{same_bytes['id']}")
        assert again.status_code == 404 and again.json()["type"] == "not_found"


def test_same_bytes_answer_from_stored_result_unless_forced(stack: Stack) -> None:
    analyzer = FakeAnalyzer(Modality.image, 0.9)
    stack.analyzers[Modality.image] = analyzer
    with stack.client() as client:
        first = upload(client, png_bytes(), wait=True)
        again = upload(client, png_bytes())  # no wait: a stored result is still immediate
        assert again.status_code == 200
        assert again.headers["x-dd-cache"] == "hit"
        assert again.json() == first.json()
        assert analyzer.calls == 1
        forced = upload(client, png_bytes(), wait=True, force=True)
        assert forced.status_code == 200 and "x-dd-cache" not in forced.headers
        assert forced.json()["id"] != first.json()["id"]
        assert analyzer.calls == 2


def test_partial_result_is_not_reused(stack: Stack) -> None:
    # A video with only the video service up: partial, so the next upload runs again.
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.9)
    stack.deployed = {Modality.image}
    with stack.client() as client:
        upload(client, jpeg_bytes(), wait=True)
        assert upload(client, jpeg_bytes()).headers.get("x-dd-cache") == "hit"
    wav = wav_bytes()
    with stack.client() as client:
        first = upload(client, wav, wait=True).json()
        assert first["partial"] is True
        assert first["partial_reason"].startswith("audio: unavailable")
        assert upload(client, wav, wait=True).json()["id"] != first["id"]


def test_report_html_and_json(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.9)
    with stack.client() as client:
        doc = upload(client, jpeg_bytes(), "<b>face</b>.jpg", wait=True).json()
        html = client.get(f"/v1/analyses/{doc['id']}/report")
        as_json = client.get(f"/v1/analyses/{doc['id']}/report", params={"format": "json"})
        missing = client.get("/v1/analyses/nope/report")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    text = html.text
    assert "Verdict: FAKE" in text and "fake-image" in text and "@page" in text
    assert "<b>face</b>" not in text and "&lt;b&gt;face&lt;/b&gt;.jpg" in text
    assert json.loads(as_json.text) == doc
    assert "attachment" in as_json.headers["content-disposition"]
    assert missing.status_code == 404


def _events(body: str) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    events = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in lines:
            events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_events_stream_progress_then_fused_and_end(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.9, delay_s=0.4)
    with stack.client() as client:
        accepted = upload(client, jpeg_bytes()).json()
        with client.stream("GET", f"/v1/analyses/{accepted['id']}/events") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            events = _events(stream.read().decode())
        late = _events(client.get(f"/v1/analyses/{accepted['id']}/events").text)
    names = [name for name, _ in events]
    assert names[0] == "queued"
    assert names[-1] == "fused"
    assert "started" in names and "done" in names
    assert any(n == "progress" and 0 < d["fraction"] < 1 for n, d in events)
    done = next(d for n, d in events if n == "done")
    assert done["modality"] == "image" and done["status"] == "ok"
    assert events[-1][1]["analysis"]["verdict"]["label"] == "fake"
    # Someone who arrives after the end gets the end at once.
    assert [name for name, _ in late] == ["fused"]


def test_events_end_with_failed_for_rejected_media(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image)
    with stack.client() as client:
        accepted = upload(client, jpeg_bytes() + b"REJECT").json()
        events = _events(client.get(f"/v1/analyses/{accepted['id']}/events").text)
        assert client.get("/v1/analyses/nope/events").status_code == 404
        wait_finished(client, accepted["location"])
    assert events[-1][0] == "failed"
    assert events[-1][1]["analysis"]["error"]["type"] == "corrupt_media"


def test_media_past_retention_is_purged_documents_stay(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.9)
    with stack.client(media_retention_days=0.5 / 86400) as client:  # half a second
        old = upload(client, jpeg_bytes(), wait=True).json()
        purge = container_of(client.app).analyses.purge_old_media  # type: ignore[arg-type]
        assert purge() == 0 and len(_media_files(stack)) == 1  # not old enough yet
        time.sleep(0.6)
        assert purge() == 1
        assert _media_files(stack) == []
        assert client.get(f"/v1/analyses/{old['id']}").json() == old
