"""A gateway restart loses nothing: finished results stay, a queued job is resumed, a
job that was running ends failed with type `interrupted`."""

from __future__ import annotations

import time

from dd_contracts import Modality
from tests.fakes import FakeAnalyzer
from tests.gateway.conftest import Stack, upload, wait_finished
from tests.media import jpeg_bytes, png_bytes


def test_restart_with_one_job_running_and_one_queued(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.9, delay_s=1.0)
    with stack.client(max_running_jobs=1) as client:
        finished = upload(client, jpeg_bytes(), wait=True).json()
        running = upload(client, png_bytes(), force=True).json()
        queued = upload(client, jpeg_bytes() + b"\x00", force=True).json()
        deadline = time.monotonic() + 5
        while client.get(running["location"]).json()["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert client.get(queued["location"]).json()["status"] == "queued"
    # Stopped mid-job (the workers are cancelled, as by a crash). Start again, same data.
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.1)
    with stack.client(max_running_jobs=1) as client:
        interrupted = client.get(running["location"]).json()
        assert interrupted["status"] == "failed"
        assert interrupted["error"]["type"] == "interrupted"
        assert interrupted["finished_at"] is not None
        resumed = wait_finished(client, queued["location"])
        assert resumed["status"] == "done" and resumed["verdict"]["label"] == "real"
        assert client.get(f"/v1/analyses/{finished['id']}").json() == finished
        listed = {a["id"]: a["status"] for a in client.get("/v1/analyses").json()["items"]}
    assert listed == {finished["id"]: "done", running["id"]: "failed", queued["id"]: "done"}


def test_wait_true_after_restart_still_answers(stack: Stack) -> None:
    stack.analyzers[Modality.image] = FakeAnalyzer(Modality.image, 0.9)
    with stack.client() as client:
        first = upload(client, jpeg_bytes(), wait=True).json()
    with stack.client() as client:
        # The stored result survives the restart and is reused.
        again = upload(client, jpeg_bytes(), wait=True)
        assert again.headers["x-dd-cache"] == "hit" and again.json()["id"] == first["id"]
