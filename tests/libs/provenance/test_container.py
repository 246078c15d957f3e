"""Audio and video: container and stream metadata via PyAV, device tags, generator names
in tags; location reduced to 'present'."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from dd_provenance import inspect

from dd_contracts.provenance import SectionState, TraceSource
from dd_fusion.provenance_rules import apply_rules


def _video(path: Path, tags: dict[str, str]) -> Path:
    with av.open(str(path), "w", options={"movflags": "use_metadata_tags"}) as out:
        for key, value in tags.items():
            out.metadata[key] = value
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(3):
            frame = np.full((48, 64, 3), index * 60, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def test_phone_video_tags_as_written(tmp_path: Path) -> None:
    path = _video(
        tmp_path / "phone.mp4",
        {
            "creation_time": "2024-05-01T10:20:30.000000Z",
            "com.apple.quicktime.make": "Apple",
            "com.apple.quicktime.model": "iPhone 15 Pro",
            "com.apple.quicktime.location.ISO6709": "+48.8577+002.2950/",
        },
    )
    report = inspect(path, "video", "video/mp4")
    container = report.container
    assert container is not None and container.state is SectionState.ok
    assert container.creation_time == "2024-05-01T10:20:30.000000Z"
    assert container.device == {
        "make": "Apple",
        "model": "iPhone 15 Pro",
        "location": "present (not copied)",
    }
    assert "+48.8577" not in report.model_dump_json()
    assert container.encoder is not None and container.encoder.startswith("Lavf")
    assert [s.kind for s in container.streams] == ["video"]
    assert container.streams[0].handler_name == "VideoHandler"
    assert report.c2pa.state is SectionState.absent
    assert report.traces == [] and apply_rules(report) == []


def test_generator_named_in_a_container_tag(tmp_path: Path) -> None:
    path = _video(tmp_path / "gen.mp4", {"comment": "Generated with Runway Gen-3 Alpha"})
    report = inspect(path, "video", "video/mp4")
    assert [(t.source, t.key, t.tool) for t in report.traces] == [
        (TraceSource.container, "comment", "Runway")
    ]
    assert "PROV-GENERATOR-TRACE" in [o.rule_id for o in apply_rules(report)]


def test_plain_wav_has_no_tags(shared_media: Path) -> None:
    report = inspect(shared_media / "speech" / "arctic_a0007.wav", "audio", "audio/wav")
    assert report.container is not None
    assert report.container.format == "wav"
    assert [s.codec for s in report.container.streams] == ["pcm_s16le"]
    assert report.traces == []
