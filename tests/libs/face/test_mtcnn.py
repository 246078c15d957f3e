"""MTCNN wrapper: downscale maths and box mapping (no weights), and detection on the
shared astronaut portrait (bundled weights)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dd_contracts import WeightsState
from dd_face.mtcnn import MIN_FACE_CONFIDENCE, MtcnnFaceDetector, detection_scale, map_box


def test_detection_scale_caps_the_longer_side() -> None:
    assert detection_scale(1920, 1080, 640) == pytest.approx(1 / 3)
    assert detection_scale(1080, 1920, 640) == pytest.approx(1 / 3)
    assert detection_scale(512, 512, 640) == 1.0
    assert detection_scale(4000, 3000, None) == 1.0


def test_map_box_scales_back_and_clips() -> None:
    box = map_box([10, 20, 110, 220, 0.97], 1 / 3, 1920, 1080)
    assert (box.x1, box.y1, box.x2, box.y2) == pytest.approx((30, 60, 330, 660))
    assert box.confidence == pytest.approx(0.97)
    edge = map_box([-5, -5, 700, 400, 1.0], 1 / 3, 1920, 1080)
    assert (edge.x1, edge.y1, edge.x2, edge.y2) == (0.0, 0.0, 1920.0, 1080.0)


def test_info_hashes_the_bundled_weights() -> None:
    info = MtcnnFaceDetector().info
    assert info.weights == WeightsState.real
    assert info.sha256 is not None and len(info.sha256) == 64


def _astronaut(shared_media: Path) -> np.ndarray:
    return np.asarray(Image.open(shared_media / "faces" / "astronaut.png").convert("RGB"))


# Face of the 512x512 astronaut portrait, measured on the image over a 50-px grid: skin
# from x~175 to ~275, hairline y~75, eyes y~102, chin y~168; centre near (225, 120).
FACE_CENTRE = (225.0, 120.0)


def test_astronaut_has_exactly_one_face_at_the_face(shared_media: Path) -> None:
    detector = MtcnnFaceDetector()
    detector.load()
    (faces,) = detector.predict_batch([_astronaut(shared_media)])
    assert len(faces) == 1
    face = faces[0]
    assert face.confidence >= 0.9
    assert 165 <= face.x1 < face.x2 <= 285 and 50 <= face.y1 < face.y2 <= 185
    cx, cy = (face.x1 + face.x2) / 2, (face.y1 + face.y2) / 2
    assert abs(cx - FACE_CENTRE[0]) < 15 and abs(cy - FACE_CENTRE[1]) < 15
    assert 60 <= face.width <= 120


def test_downscaled_detection_maps_to_full_resolution(shared_media: Path) -> None:
    small = _astronaut(shared_media)
    big = np.asarray(Image.fromarray(small).resize((1536, 1536), Image.Resampling.BICUBIC))
    detector = MtcnnFaceDetector(max_side=512)
    detector.load()
    # Mixed sizes in one call: each group is batched, order is kept.
    faces_big, faces_small, faces_big2 = detector.predict_batch([big, small, big])
    assert len(faces_big) == len(faces_small) == len(faces_big2) == 1
    fb, fs = faces_big[0], faces_small[0]
    for a, b in ((fb.x1, fs.x1), (fb.y1, fs.y1), (fb.x2, fs.x2), (fb.y2, fs.y2)):
        assert a == pytest.approx(3 * b, abs=9)  # same detection, 3x the coordinates
    assert faces_big2[0] == fb


def test_blank_frame_has_no_face() -> None:
    detector = MtcnnFaceDetector()
    detector.load()
    assert detector.predict_batch([np.full((240, 320, 3), 90, dtype=np.uint8)]) == [[]]


def test_accelerated_nets_find_the_eager_boxes_and_report_it(
    shared_media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DD_ACCEL_CHANNELS_LAST", raising=False)
    frame = _astronaut(shared_media)
    eager = MtcnnFaceDetector(accelerate=False)
    eager.load()
    fast = MtcnnFaceDetector()  # accelerate=True: channels-last by default for "mtcnn"
    fast.load()
    assert eager.info.accel is None
    accel = fast.info.accel
    assert accel is not None
    assert accel["applied"] == ["channels_last"]
    assert set(accel["nets"]) == {"pnet", "rnet", "onet"}
    assert accel["max_abs_diff"] < 1e-4
    # Two frames of different sizes: P-Net sees new pyramid sizes (dynamic dims).
    small = np.ascontiguousarray(frame[::2, ::2])
    for want, got in zip(
        eager.predict_batch([frame, small]), fast.predict_batch([frame, small]), strict=True
    ):
        assert len(want) == len(got) == 1
        for a, b in zip(want, got, strict=True):
            assert (b.x1, b.y1, b.x2, b.y2) == pytest.approx((a.x1, a.y1, a.x2, a.y2), abs=1e-2)
            assert b.confidence == pytest.approx(a.confidence, abs=1e-5)


def test_accel_can_be_switched_off_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DD_ACCEL_CHANNELS_LAST", "0")
    detector = MtcnnFaceDetector()
    detector.load()
    accel = detector.info.accel
    assert accel is not None and accel["applied"] == []


def test_a_frame_smaller_than_the_smallest_face_has_no_face() -> None:
    detector = MtcnnFaceDetector()
    detector.load()
    # facenet-pytorch's own detect_face raises on such a frame (an empty image pyramid).
    assert detector.predict_batch([np.zeros((20, 30, 3), np.uint8)]) == [[]]


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg (apt-get install ffmpeg)")
def test_weak_false_faces_in_a_faceless_photo_are_dropped(tmp_path: Path) -> None:
    """scikit-image's rocket launch re-saved by ffmpeg's MJPEG encoder: MTCNN's O-Net passes
    a "face" in the exhaust plume at 0.92-0.95, which MesoNet then called fake (0.82)."""
    skimage = pytest.importorskip("skimage", reason="scikit-image ships the rocket photo")
    src = Path(skimage.__file__).parent / "data" / "rocket.jpg"
    frames = []
    for qscale in (13, 15):
        out = tmp_path / f"rocket_{qscale}.jpg"
        subprocess.run(
            [
                "ffmpeg",
                "-nostdin",
                "-y",
                "-v",
                "error",
                "-i",
                str(src),
                "-q:v",
                str(qscale),
                str(out),
            ],
            check=True,
            timeout=60,
        )
        frames.append(np.asarray(Image.open(out).convert("RGB")))
    permissive = MtcnnFaceDetector(min_confidence=0.0)
    permissive.load()
    weak = [f.confidence for faces in permissive.predict_batch(frames) for f in faces]
    assert weak and max(weak) < MIN_FACE_CONFIDENCE  # the false faces exist...
    default = MtcnnFaceDetector()
    default.load()
    assert default.predict_batch(frames) == [[], []]  # ...and the default drops them
