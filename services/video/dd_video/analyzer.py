"""VideoAnalyzer: a video file in, one ModalityResult (modality 'video') out.

Pipeline: probe + plan (decode.py) → decode the sampled frames in chunks → MTCNN on each
chunk in one batch (frames downscaled to a side chosen from the resolution) → IoU
tracking → square face crops → every crop of the video through the MesoNet ensemble in
large batches → confident-strategy aggregation per track, most suspicious track wins.

Frames are dropped as soon as their faces are cropped, so memory holds a few chunks of
frames plus the 256 px crops, whatever the video's length. Decoding runs in a background
thread one chunk ahead of detection, so latencies_ms['decode'] (the decoder's own busy
time) overlaps 'detect' and the stages can add up to more than 'total'. The sound track
is not judged here (the audio service does that); we only report whether there is one.
"""

from __future__ import annotations

import base64
import math
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from dd_contracts import (
    Box,
    Modality,
    ModalityResult,
    ModalityStatus,
    ModelInfo,
    VideoEvidence,
    VideoThumbnail,
    VideoTimelinePoint,
    VideoTrack,
)
from dd_face.crops import crop_face
from dd_face.ensemble import DEFAULT_MEMBERS, FaceForgeryEnsemble
from dd_face.mtcnn import DETECT_MIN_PX, MtcnnFaceDetector
from dd_face.types import FaceBox, FaceScore
from dd_inference import ProgressCallback
from dd_video import aggregate
from dd_video.decode import (
    DecodedSample,
    DecodeLimits,
    VideoProbe,
    iter_samples,
    plan_samples,
    probe_video,
)
from dd_video.sampling import SamplingConfig
from dd_video.temporal import TemporalDetector
from dd_video.tracking import IouTracker, TrackedFace

# Share of the progress bar for decode + detect; classification and aggregation follow.
_DETECT_SHARE = 0.85
_THUMB_PX = 112


def detect_side_for(width: int, height: int, min_face_px: int, floor: int = 320) -> int:
    """Longer side of the frame MTCNN sees, chosen from the resolution.

    MTCNN finds faces down to DETECT_MIN_PX (20 px) in the frame it is given; faces
    smaller than ``min_face_px`` in the full frame are dropped anyway (too few pixels for
    MesoNet), so the frame can shrink until a ``min_face_px`` face measures 20 px. MTCNN's
    cost grows with the pixel count, so this is the cheapest side that loses no face we
    would keep: with 64 px faces, 1280x720 → 416, 1920x1080 → 608. Rounded up to a
    multiple of 32 so a handful of detector sizes serve every video.
    """
    longer = max(width, height)
    side = max(floor, math.ceil(longer * DETECT_MIN_PX / max(min_face_px, 1)))
    side = 32 * math.ceil(side / 32)
    return min(side, longer)


@dataclass
class _Face:
    face: TrackedFace
    crop: np.ndarray
    score: FaceScore | None = None


class VideoAnalyzer:
    """Implements dd_inference.Analyzer for video.

    ``sample_fps`` / ``num_frames`` / ``max_samples``: which frames to judge (sampling.py).
    ``limits``: size, duration and resolution limits (decode.py).
    ``detect_max_side``: fixed MTCNN frame side; None picks it from the resolution.
    ``detect_batch``: frames decoded and detected together (also bounds memory).
    ``classify_batch``: crops per MesoNet forward pass.
    ``min_face_px`` / ``min_face_confidence`` / ``max_faces_per_frame``: which faces count.
    ``members``: MesoNet weight files in the ensemble (dd_face.ensemble.DEFAULT_MEMBERS).
    ``temporal``: also run the untrained CNN+GRU track model (reported, never in the score).
    """

    def __init__(
        self,
        models_dir: Path,
        threads: int = 2,
        sample_fps: float = 1.0,
        num_frames: int | None = None,
        max_samples: int = 180,
        limits: DecodeLimits | None = None,
        detect_max_side: int | None = None,
        detect_batch: int = 8,
        classify_batch: int = 64,
        min_face_px: int = 64,
        min_face_confidence: float = 0.9,
        max_faces_per_frame: int = 6,
        crop_margin: float = 0.2,
        members: Sequence[str] = DEFAULT_MEMBERS,
        min_track_samples: int = 2,
        min_confident: int = 3,
        full_confidence_samples: int = 5,
        max_thumbnails: int = 6,
        temporal: bool = False,
    ) -> None:
        self.models_dir = Path(models_dir)
        self.threads = threads
        self.sampling = SamplingConfig(
            fps=sample_fps, num_frames=num_frames, max_samples=max_samples
        )
        self.limits = limits or DecodeLimits()
        self.detect_max_side = detect_max_side
        self.detect_batch = max(1, detect_batch)
        self.classify_batch = max(1, classify_batch)
        self.min_face_px = min_face_px
        self.min_face_confidence = min_face_confidence
        self.max_faces_per_frame = max_faces_per_frame
        self.crop_margin = crop_margin
        self.min_track_samples = min_track_samples
        self.min_confident = min_confident
        self.full_confidence_samples = full_confidence_samples
        self.max_thumbnails = max_thumbnails
        self.classifier = FaceForgeryEnsemble.mesonet(self.models_dir, members, threads=threads)
        self.temporal = TemporalDetector(self.models_dir, threads=threads) if temporal else None
        self._detectors: dict[int | None, MtcnnFaceDetector] = {}
        self._lock = threading.Lock()

    # -- Analyzer protocol -------------------------------------------------------------

    def load(self) -> None:
        # Import order between torch and TensorFlow is handled once, in dd_face.mesonet.
        self._detector(self.detect_max_side or 640)
        self.classifier.load()
        if self.temporal is not None:
            self.temporal.load()

    def warmup(self) -> None:
        self.load()
        self._detector(self.detect_max_side or 640).warmup()
        self.classifier.warmup()
        if self.temporal is not None:
            self.temporal.predict_batch([[np.zeros((256, 256, 3), np.uint8)] * 2])

    @property
    def models(self) -> list[ModelInfo]:
        infos = [self._detector_info(), *self.classifier.members]
        if self.temporal is not None:
            infos.append(self.temporal.info)
        return infos

    def analyze(self, path: Path, progress: ProgressCallback | None = None) -> ModalityResult:
        report = progress or (lambda _fraction: None)
        started = time.perf_counter()
        timer = _Timer()
        with timer("decode"):
            probe = probe_video(Path(path), self.limits)
            plan = plan_samples(probe, self.sampling)
        report(0.02)

        tracker = IouTracker()
        faces: list[_Face] = []
        sample_times: list[float] = []
        size: tuple[int, int] | None = None
        total = max(1, len(plan.times))
        decoded = timer.wrap("decode", iter_samples(probe, plan, self.limits, self.threads))
        # Decode runs one chunk ahead in a thread: FFmpeg and torch both release the GIL,
        # so the next frames decode while MTCNN works on these ones.
        for chunk in _prefetch(_chunks(decoded, self.detect_batch), depth=2):
            if size is None:
                size = (chunk[0].rgb.shape[1], chunk[0].rgb.shape[0])
            with timer("detect"):
                detector = self._detector(self._side_for(*size))
                found = detector.predict_batch([s.rgb for s in chunk])
                for sample, boxes in zip(chunk, found, strict=True):
                    sample_times.append(sample.t_s)
                    kept = boxes[: self.max_faces_per_frame]
                    for tracked in tracker.update(sample.index, sample.t_s, kept):
                        crop = crop_face(sample.rgb, tracked.box, self.crop_margin)
                        faces.append(_Face(tracked, crop))
            report(0.02 + _DETECT_SHARE * len(sample_times) / total)
        assert size is not None  # iter_samples raises when nothing decodes

        with timer("classify"):
            for start in range(0, len(faces), self.classify_batch):
                batch = faces[start : start + self.classify_batch]
                for item, score in zip(
                    batch, self.classifier.predict_batch([f.crop for f in batch]), strict=True
                ):
                    item.score = score
        report(0.97)
        result = self._result(probe, size, sample_times, faces, tracker, timer)
        result.latencies_ms["total"] = round((time.perf_counter() - started) * 1000, 1)
        report(1.0)
        return result

    # -- internals ---------------------------------------------------------------------

    def _side_for(self, width: int, height: int) -> int:
        if self.detect_max_side is not None:
            return self.detect_max_side
        return detect_side_for(width, height, self.min_face_px)

    def _detector(self, side: int) -> MtcnnFaceDetector:
        with self._lock:
            detector = self._detectors.get(side)
            if detector is None:
                detector = MtcnnFaceDetector(
                    min_confidence=self.min_face_confidence,
                    min_face_px=self.min_face_px,
                    max_side=side,
                    threads=self.threads,
                )
                detector.load()
                self._detectors[side] = detector
            return detector

    def _detector_info(self) -> ModelInfo:
        if self._detectors:
            return next(iter(self._detectors.values())).info
        return MtcnnFaceDetector(max_side=self.detect_max_side).info

    def _result(
        self,
        probe: VideoProbe,
        size: tuple[int, int],
        sample_times: list[float],
        faces: list[_Face],
        tracker: IouTracker,
        timer: _Timer,
    ) -> ModalityResult:
        with_face = {f.face.t_s for f in faces}
        evidence = VideoEvidence(
            duration_s=round(probe.duration_s, 3),
            fps=round(probe.fps, 3),
            width=size[0],
            height=size[1],
            sampled_frames=len(sample_times),
            frames_without_face=[round(t, 3) for t in sample_times if t not in with_face],
            timeline=[
                VideoTimelinePoint(
                    t_s=round(f.face.t_s, 3),
                    track_id=f.face.track_id,
                    fake_probability=_p(f),
                    box=_box(f.face.box),
                )
                for f in faces
            ],
            tracks=[],
            thumbnails=[],
            aggregation=aggregate.describe(self.min_track_samples, self.min_confident),
            has_audio=probe.has_audio,
        )
        latencies = timer.ms()
        if not faces:
            return ModalityResult(
                modality=Modality.video,
                status=ModalityStatus.no_signal,
                confidence=0.0,
                flags=["no_face"],
                reason=f"No face was found in any of the {len(sample_times)} sampled frames.",
                models=self.models,
                latencies_ms=latencies,
                evidence=evidence,
            )
        by_track: dict[int, list[_Face]] = {}
        for f in faces:
            by_track.setdefault(f.face.track_id, []).append(f)
        video = aggregate.score_video(
            {tid: [_p(f) for f in items] for tid, items in by_track.items()},
            min_track_samples=self.min_track_samples,
            min_confident=self.min_confident,
        )
        evidence.tracks = [
            VideoTrack(
                track_id=t.track_id,
                samples=t.samples,
                first_s=round(by_track[t.track_id][0].face.t_s, 3),
                last_s=round(by_track[t.track_id][-1].face.t_s, 3),
                fake_probability=t.fake_probability,
            )
            for t in video.tracks
        ]
        evidence.thumbnails = self._thumbnails(faces)
        chosen = next(t for t in video.tracks if t.track_id == video.track_id)
        evidence.aggregation += (
            f" Chosen: track {chosen.track_id} ({chosen.samples} samples, rule '{chosen.rule}')."
        )
        flags = []
        if len(video.tracks) > 1:
            flags.append("multiple_faces")
        if chosen.samples < self.full_confidence_samples:
            flags.append("few_frames")
        if self.temporal is not None:
            evidence.aggregation += self._temporal_note(by_track)
        return ModalityResult(
            modality=Modality.video,
            status=ModalityStatus.ok,
            fake_probability=video.fake_probability,
            confidence=min(1.0, chosen.samples / self.full_confidence_samples),
            flags=flags,
            models=self.models,
            latencies_ms=latencies,
            evidence=evidence,
        )

    def _temporal_note(self, by_track: dict[int, list[_Face]]) -> str:
        assert self.temporal is not None
        ids = sorted(by_track)
        scores = self.temporal.predict_batch([[f.crop for f in by_track[i]] for i in ids])
        state = self.temporal.info.weights.value
        listed = ", ".join(f"track {i}: {p:.3f}" for i, p in zip(ids, scores, strict=True))
        return f" Temporal CNN+GRU ({state} weights, not used in the score): {listed}."

    def _thumbnails(self, faces: list[_Face]) -> list[VideoThumbnail]:
        ranked = sorted(faces, key=lambda f: (-_p(f), f.face.t_s))[: self.max_thumbnails]
        thumbs = []
        for f in ranked:
            small = cv2.resize(f.crop, (_THUMB_PX, _THUMB_PX), interpolation=cv2.INTER_AREA)
            ok, jpeg = cv2.imencode(
                ".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80]
            )
            if not ok:
                continue
            thumbs.append(
                VideoThumbnail(
                    t_s=round(f.face.t_s, 3),
                    track_id=f.face.track_id,
                    fake_probability=_p(f),
                    box=_box(f.face.box),
                    jpeg_base64=base64.b64encode(jpeg.tobytes()).decode("ascii"),
                )
            )
        return thumbs


def _p(face: _Face) -> float:
    assert face.score is not None
    return float(min(max(face.score.fake_probability, 0.0), 1.0))


def _box(box: FaceBox) -> Box:
    return Box(x1=round(box.x1, 1), y1=round(box.y1, 1), x2=round(box.x2, 1), y2=round(box.y2, 1))


def _chunks(samples: Iterator[DecodedSample], size: int) -> Iterator[list[DecodedSample]]:
    chunk: list[DecodedSample] = []
    for sample in samples:
        chunk.append(sample)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


_DONE = object()


def _prefetch(items: Iterator[list[DecodedSample]], depth: int) -> Iterator[list[DecodedSample]]:
    """Run ``items`` in a background thread, ``depth`` items ahead; re-raise its errors
    (MediaRejected from the decoder) here. Stops the thread if the consumer gives up."""
    buffer: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                buffer.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            put(exc)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="video-decode", daemon=True)
    worker.start()
    try:
        while True:
            item = buffer.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join(timeout=5)


class _Timer:
    """Wall time per stage, in seconds, accumulated across calls."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {"decode": 0.0, "detect": 0.0, "classify": 0.0}

    def __call__(self, stage: str) -> _Stage:
        return _Stage(self, stage)

    def wrap(self, stage: str, items: Iterator[DecodedSample]) -> Iterator[DecodedSample]:
        """Charge the time spent producing each item (a generator's work) to ``stage``."""
        while True:
            t0 = time.perf_counter()
            try:
                item = next(items)
            except StopIteration:
                self.seconds[stage] += time.perf_counter() - t0
                return
            self.seconds[stage] += time.perf_counter() - t0
            yield item

    def ms(self) -> dict[str, float]:
        return {k: round(v * 1000, 1) for k, v in self.seconds.items()}


class _Stage:
    def __init__(self, timer: _Timer, stage: str) -> None:
        self.timer = timer
        self.stage = stage
        self.t0 = 0.0

    def __enter__(self) -> None:
        self.t0 = time.perf_counter()

    def __exit__(self, *_exc: object) -> None:
        self.timer.seconds[self.stage] += time.perf_counter() - self.t0
