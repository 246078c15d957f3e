"""VideoAnalyzer end to end on real weights: shared clip, fake and real faces, two people,
no face, rotated video, a low-resolution (176x144) clip with a small face, progress,
thumbnails, the untrained temporal model."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from dd_contracts import ModalityStatus, VideoEvidence, WeightsState
from dd_inference import WeightsMissing
from dd_video.analyzer import VideoAnalyzer, build_analyzer, detect_side_for
from dd_video.decode import DecodeLimits, plan_samples, probe_video
from dd_video.sampling import SamplingConfig
from dd_video.settings import VideoSettings

Make = Callable[..., Path]


def make_analyzer(models_dir: Path, **settings: object) -> VideoAnalyzer:
    return build_analyzer(VideoSettings(models_dir=models_dir, threads=2, **settings))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def analyzer(models_dir: Path) -> VideoAnalyzer:
    video = make_analyzer(models_dir)
    video.load()  # WeightsMissing here fails every test below: weights are required
    video.warmup()
    return video


def evidence_of(result: object) -> VideoEvidence:
    evidence = getattr(result, "evidence", None)
    assert isinstance(evidence, VideoEvidence)
    return evidence


def test_missing_weights_raise(tmp_path: Path) -> None:
    with pytest.raises(WeightsMissing):
        make_analyzer(tmp_path).load()


def test_detection_side_follows_resolution() -> None:
    assert detect_side_for(640, 480, 64) == 320  # floor
    assert detect_side_for(1280, 720, 64) == 416
    assert detect_side_for(1920, 1080, 64) == 608
    assert detect_side_for(200, 150, 64) == 200  # never upscaled


@pytest.mark.weights
def test_shared_astronaut_clip_is_one_real_face(
    analyzer: VideoAnalyzer, shared_media: Path
) -> None:
    calls: list[float] = []
    result = analyzer.analyze(shared_media / "astronaut_talk.mp4", progress=calls.append)
    ev = evidence_of(result)
    assert result.status is ModalityStatus.ok
    assert result.fake_probability is not None and result.fake_probability < 0.5
    assert ev.has_audio is True
    assert ev.sampled_frames == 3
    assert ev.frames_without_face == []
    assert len(ev.tracks) == 1 and ev.tracks[0].samples == 3
    assert {p.track_id for p in ev.timeline} == {ev.tracks[0].track_id}
    assert [p.t_s for p in ev.timeline] == pytest.approx([0.5, 1.5, 2.5], abs=0.03)
    assert (ev.width, ev.height) == (640, 640)
    assert set(result.latencies_ms) == {"decode", "detect", "classify", "aggregate", "total"}
    assert result.condition["codec"] == "h264" and result.condition["width"] == 640
    assert float(result.condition["bitrate_kbps"]) > 0 and float(result.condition["face_px"]) > 64
    assert "small_face" not in result.flags
    assert {m.name for m in result.models} >= {"mtcnn", "mesonet-meso4-df"}
    assert calls == sorted(calls) and calls[-1] == 1.0 and len(calls) >= 3
    assert 1 <= len(ev.thumbnails) <= 6
    jpeg = base64.b64decode(ev.thumbnails[0].jpeg_base64)
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and image.shape[0] <= 128
    assert "confident strategy" in ev.aggregation


@pytest.mark.weights
def test_deepfake_face_video_is_judged_fake(
    analyzer: VideoAnalyzer, video_dir: Path, make_video: Make, make_scene, faces
) -> None:
    path = make_video(video_dir / "fake_face.mp4", make_scene([faces["fake"]], seed=1), 40)
    result = analyzer.analyze(path)
    ev = evidence_of(result)
    assert result.status is ModalityStatus.ok
    assert len(ev.tracks) == 1 and ev.frames_without_face == []
    assert result.fake_probability is not None and result.fake_probability > 0.5
    # The thumbnails are the most suspicious faces, most suspicious first.
    scores = [t.fake_probability for t in ev.thumbnails]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.weights
def test_real_face_video_is_judged_real(
    analyzer: VideoAnalyzer, video_dir: Path, make_video: Make, make_scene, faces
) -> None:
    path = make_video(video_dir / "real_face.mp4", make_scene([faces["real"]], seed=2), 40)
    result = analyzer.analyze(path)
    ev = evidence_of(result)
    assert len(ev.tracks) == 1 and ev.frames_without_face == []
    assert result.fake_probability is not None and result.fake_probability < 0.5


@pytest.mark.weights
def test_two_faces_side_by_side_are_two_tracks(
    analyzer: VideoAnalyzer, video_dir: Path, make_video: Make, make_scene, faces
) -> None:
    scene = make_scene([faces["real"], faces["fake"]], size=(960, 480), face_height=300, seed=3)
    path = make_video(video_dir / "two_faces.mp4", scene, 40)
    result = analyzer.analyze(path)
    ev = evidence_of(result)
    assert len(ev.tracks) == 2
    assert all(t.samples == 4 for t in ev.tracks)
    assert "multiple_faces" in result.flags
    centres = {
        t.track_id: [(p.box.x1 + p.box.x2) / 2 for p in ev.timeline if p.track_id == t.track_id]
        for t in ev.tracks
    }
    left, right = sorted(centres.values(), key=lambda xs: xs[0])
    assert max(left) < 480 < min(right)  # each track stays with its own person
    # The video is as suspicious as its most suspicious track (the deepfake, right).
    assert result.fake_probability == max(t.fake_probability for t in ev.tracks)
    by_track = {t.track_id: t.fake_probability for t in ev.tracks}
    right_id = next(tid for tid, xs in centres.items() if xs == right)
    assert by_track[right_id] > 0.5 > min(by_track.values())


@pytest.mark.weights
def test_video_without_a_face_is_no_signal(
    analyzer: VideoAnalyzer, video_dir: Path, make_video: Make
) -> None:
    def frame(i: int) -> np.ndarray:
        x = np.linspace(0, 255, 320)
        img = np.stack([np.tile(x, (240, 1))] * 3, axis=-1)
        img[:, :, 1] = np.roll(img[:, :, 1], 8 * i, axis=1)
        return img.astype(np.uint8)

    path = make_video(video_dir / "no_face.mp4", frame, 30)
    result = analyzer.analyze(path)
    ev = evidence_of(result)
    assert result.status is ModalityStatus.no_signal
    assert result.flags == ["no_face"]
    assert result.fake_probability is None and result.confidence == 0.0
    assert ev.frames_without_face == pytest.approx([0.5, 1.5, 2.5], abs=0.06)
    assert ev.timeline == [] and ev.tracks == [] and ev.has_audio is False


@pytest.mark.weights
def test_rotated_phone_video_is_turned_upright_before_detection(
    analyzer: VideoAnalyzer, video_dir: Path, make_video: Make, make_scene, faces
) -> None:
    upright = make_scene([faces["astronaut"]], size=(480, 640), face_height=420, seed=4)
    # Stored landscape (turned clockwise), with a display matrix that turns it back.
    path = make_video(
        video_dir / "rotated.mp4",
        lambda i: np.ascontiguousarray(np.rot90(upright(i), -1)),
        30,
        rotation=90,
        audio_s=3.0,
    )
    result = analyzer.analyze(path)
    ev = evidence_of(result)
    assert (ev.width, ev.height) == (480, 640)
    assert ev.has_audio is True
    assert ev.frames_without_face == [] and len(ev.tracks) == 1


@pytest.mark.weights
def test_temporal_model_is_reported_but_never_scores(
    analyzer: VideoAnalyzer, models_dir: Path, shared_media: Path
) -> None:
    with_temporal = make_analyzer(
        models_dir, detectors=["mtcnn", "mesonet_ensemble", "temporal_gru"]
    )
    with_temporal.load()
    result = with_temporal.analyze(shared_media / "astronaut_talk.mp4")
    plain = analyzer.analyze(shared_media / "astronaut_talk.mp4")
    assert result.fake_probability == pytest.approx(plain.fake_probability, abs=1e-6)
    temporal = [m for m in result.models if m.name == "video-temporal-gru"]
    assert temporal and temporal[0].weights is WeightsState.untrained
    assert "untrained weights, not used in the score" in evidence_of(result).aggregation


@pytest.mark.weights
def test_low_resolution_face_video_gets_a_track(
    analyzer: VideoAnalyzer, shared_media: Path, tmp_path: Path
) -> None:
    """The shared talking-head clip scaled to 176x144 (QCIF, an old phone's resolution):
    the face is ~35 px, below the 64 px the classifiers are reliable at. It is found,
    tracked and judged with a 'small_face' flag and lower confidence; never reported as
    'no face'."""
    small = tmp_path / "qcif.mp4"
    _rescale(shared_media / "astronaut_talk.mp4", small, 176, 144)
    result = analyzer.analyze(small)
    ev = evidence_of(result)
    assert (ev.width, ev.height) == (176, 144)
    assert result.status is ModalityStatus.ok and "no_face" not in result.flags
    assert len(ev.tracks) == 1 and ev.tracks[0].samples == ev.sampled_frames == 3
    assert ev.frames_without_face == []
    assert "small_face" in result.flags
    assert float(result.condition["face_px"]) < 64
    full = analyzer.analyze(shared_media / "astronaut_talk.mp4")
    assert 0.0 < result.confidence < full.confidence


def _rescale(source: Path, target: Path, width: int, height: int) -> None:
    """Re-encode ``source`` at width x height with PyAV (no ffmpeg binary needed)."""
    import av

    with av.open(str(source)) as src, av.open(str(target), "w") as out:
        stream_in = src.streams.video[0]
        stream = out.add_stream("libx264", rate=int(stream_in.average_rate or 25))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index, frame in enumerate(src.decode(stream_in)):
            rgb = frame.to_ndarray(width=width, height=height, format="rgb24")
            small = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            small.pts = index  # in the output's 1/rate time base
            for packet in stream.encode(small):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


@pytest.mark.weights
def test_gops_decoded_side_by_side_give_the_same_result(
    models_dir: Path, video_dir: Path, make_video: Make, make_scene, faces
) -> None:
    """Several short GOPs (2 s at 10 fps, scenecut off) with two people: one decoder
    against three lanes. Same samples, faces, boxes, tracks and scores (up to the float
    rounding that the classifier's batch sizes may bring, which also varies between two
    runs of one decoder: crops are classified while the decoder catches up)."""
    scene = make_scene([faces["real"], faces["fake"]], size=(960, 480), face_height=300, seed=5)
    path = make_video(video_dir / "two_faces_gop2s.mp4", scene, 100, fps=10, gop=20)
    assert len(plan_samples(probe_video(path, DecodeLimits()), SamplingConfig()).ranges) == 5
    results = {}
    for lanes in (1, 3):
        video = make_analyzer(models_dir, decode_lanes=lanes)
        video.load()
        results[lanes] = video.analyze(path)
    one, three = evidence_of(results[1]), evidence_of(results[3])
    assert one.sampled_frames == three.sampled_frames == 10
    assert one.frames_without_face == three.frames_without_face
    assert len(one.tracks) == 2

    def faces_of(ev: VideoEvidence) -> list[tuple[float, int, tuple[float, ...]]]:
        return [(p.t_s, p.track_id, (p.box.x1, p.box.y1, p.box.x2, p.box.y2)) for p in ev.timeline]

    assert faces_of(one) == faces_of(three)
    assert [p.fake_probability for p in three.timeline] == pytest.approx(
        [p.fake_probability for p in one.timeline], abs=1e-5
    )
    assert [(t.track_id, t.samples, t.first_s, t.last_s) for t in three.tracks] == [
        (t.track_id, t.samples, t.first_s, t.last_s) for t in one.tracks
    ]
    assert [t.fake_probability for t in three.tracks] == pytest.approx(
        [t.fake_probability for t in one.tracks], abs=1e-5
    )
    assert results[3].fake_probability == pytest.approx(results[1].fake_probability, abs=1e-5)
    assert results[3].confidence == results[1].confidence
    assert results[3].flags == results[1].flags


@pytest.mark.weights
def test_torch_threads_follow_the_pipeline(models_dir: Path) -> None:
    import torch

    for settings, expected in (({"threads": 2}, 1), ({"threads": 4}, 2), ({"torch_threads": 3}, 3)):
        video = build_analyzer(VideoSettings(models_dir=models_dir, **settings))  # type: ignore[arg-type]
        video.load()
        assert torch.get_num_threads() == expected, settings
