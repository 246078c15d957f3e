"""VideoAnalyzer: a video file in, one ModalityResult (modality 'video') out.

Stages (dd_inference.StagedAnalyzer):
- decode: probe + plan (decode.py): the packet index and which frames to sample;
- preprocess ('detect'): decode the sampled frames in chunks -> the face detector on each
  chunk in one batch (frames downscaled to a side chosen from the resolution) -> IoU
  tracking -> square face crops; frames are dropped as soon as their faces are cropped;
- forward ('classify'): every crop through the face classifiers in large batches, and the
  track detectors (the seed temporal model) over each track;
- aggregate: confident-strategy per track, most suspicious track wins (aggregate.py).

Decoding runs in a background thread one chunk ahead of detection (and, in the bounded
decode worker, as several GOPs side by side: ``decode_lanes``), so latencies_ms['decode']
(the time spent waiting for decoded frames) overlaps 'detect' and the stages can add up
to more than 'total'. When detection catches up with the decoder (the usual case: x264's
long GOPs make decoding the slowest part), the crops found so far are classified while
the next frames decode, instead of all at the end; that time counts as 'classify'. The
sound track is not judged here (the audio service does that).

Small faces: faces smaller than ``small_face_px`` (64 px, the size below which MesoNet's
256 px input is mostly interpolation) are still judged, flagged ``small_face``, and count
less; only when no face at all is found is the video reported as having none.
"""

from __future__ import annotations

import base64
import math
import queue
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import cv2
import numpy as np

from dd_contracts import (
    Box,
    Modality,
    ModalityResult,
    ModalityStatus,
    VideoEvidence,
    VideoThumbnail,
    VideoTimelinePoint,
    VideoTrack,
)
from dd_face import classify_faces
from dd_face.crops import crop_face
from dd_face.mtcnn import DETECT_MIN_PX, detection_scale
from dd_face.types import FaceBox, FaceScore
from dd_inference import DetectorKind, Plugged, StagedAnalyzer, StageRun, counts
from dd_video import aggregate
from dd_video.decode import (
    DecodedSample,
    DecodeLimits,
    SamplePlan,
    VideoProbe,
    iter_samples,
    plan_samples,
    probe_video,
    warm_workers,
)
from dd_video.sampling import SamplingConfig
from dd_video.settings import VideoSettings
from dd_video.tracking import IouTracker, TrackedFace

_THUMB_PX = 112
SMALL_FACE_CONFIDENCE_FLOOR = 0.3


def detect_side_for(width: int, height: int, min_face_px: int, floor: int = 320) -> int:
    """Longer side of the frame MTCNN sees, chosen from the resolution.

    MTCNN finds faces down to DETECT_MIN_PX (20 px) in the frame it is given, so the
    frame can shrink until a ``min_face_px`` face (the size we want to judge at full
    weight) measures 20 px. MTCNN's cost grows with the pixel count, so this is the
    cheapest side that keeps every such face: with 64 px faces, 1280x720 -> 416,
    1920x1080 -> 608. Rounded up to a multiple of 32 so a handful of detector sizes serve
    every video. Never upscaled: a 176x144 video is searched at full size, down to 20 px.
    """
    longer = max(width, height)
    side = max(floor, math.ceil(longer * DETECT_MIN_PX / max(min_face_px, 1)))
    side = 32 * math.ceil(side / 32)
    return min(side, longer)


@dataclass(frozen=True)
class VideoPipeline:
    """What the video pipeline does around its detectors (not detector options).

    ``sampling``: which frames to judge (sampling.py). ``limits``: decode.py.
    ``detect_max_side``: fixed detection frame side; None picks it from the resolution.
    ``detect_batch``: frames decoded and detected together (also bounds memory).
    ``classify_batch``: crops per classifier forward pass.
    ``small_face_px``: faces below this are flagged ``small_face`` and count less; also
    the face size the detection side is chosen for (see detect_side_for).
    ``threads``: the decoder's threads (and the detectors', through the settings).
    ``decode_lanes``: GOPs decoded side by side (decode.iter_samples); None: ``threads``.
    ``torch_threads``: torch's intra-op threads (MTCNN); None: half of ``threads``, at
    least 1. The decoder lanes keep the other cores busy; on 2 cores a second OpenMP
    thread for MTCNN's many small convolutions mostly waits for a core (measured, 48 s
    720p clip: 2.3-2.5 CPU-s in the service process with 1 thread against 3.6-4.1 with 2;
    15.3-16.3 video-s per wall-s against 12.4-13.6: bench/video.py --torch-threads).
    """

    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    limits: DecodeLimits = field(default_factory=DecodeLimits)
    detect_max_side: int | None = None
    detect_batch: int = 8
    classify_batch: int = 64
    small_face_px: int = 64
    max_faces_per_frame: int = 6
    crop_margin: float = 0.2
    min_track_samples: int = 2
    min_confident: int = 3
    full_confidence_samples: int = 5
    max_thumbnails: int = 6
    threads: int = 2
    decode_lanes: int | None = None
    torch_threads: int | None = None

    @classmethod
    def from_settings(cls, settings: VideoSettings) -> VideoPipeline:
        return cls(
            sampling=SamplingConfig(fps=settings.sample_fps, max_samples=settings.max_samples),
            limits=DecodeLimits(
                max_bytes=settings.max_upload_bytes,
                max_duration_s=settings.max_duration_s,
                max_pixels=settings.max_pixels,
                min_side=settings.min_side,
            ),
            detect_max_side=settings.detect_max_side,
            detect_batch=max(1, settings.detect_batch),
            classify_batch=max(1, settings.classify_batch),
            small_face_px=settings.small_face_px,
            max_faces_per_frame=settings.max_faces_per_frame,
            threads=settings.threads,
            decode_lanes=settings.decode_lanes,
            torch_threads=settings.torch_threads,
        )


@dataclass
class _Face:
    face: TrackedFace
    crop: np.ndarray
    score: FaceScore | None = None


@dataclass
class Decoded:
    probe: VideoProbe
    plan: SamplePlan
    size_bytes: int


@dataclass
class Prepared:
    size: tuple[int, int]
    side: int
    sample_times: list[float] = field(default_factory=list)
    faces: list[_Face] = field(default_factory=list)


@dataclass
class Scored:
    track_notes: list[str]


class VideoAnalyzer(StagedAnalyzer[Decoded, Prepared, Scored]):
    """Implements dd_inference.Analyzer for video."""

    modality = Modality.video
    accepts = frozenset(
        {DetectorKind.face_detector, DetectorKind.face_classifier, DetectorKind.video_track}
    )
    stage_labels: ClassVar[Mapping[str, str]] = {"preprocess": "detect", "forward": "classify"}
    progress_shares: ClassVar[Mapping[str, float]] = {
        "decode": 0.02,
        "preprocess": 0.85,
        "forward": 0.1,
        "aggregate": 0.03,
    }

    def __init__(self, detectors: Sequence[Plugged], pipeline: VideoPipeline | None = None):
        super().__init__(detectors)
        self.pipeline = pipeline or VideoPipeline()
        finders = self.of_kind(DetectorKind.face_detector)
        self.classifiers = [p.detector for p in self.of_kind(DetectorKind.face_classifier)]
        self.track_detectors = [p.detector for p in self.of_kind(DetectorKind.video_track)]
        if len(finders) != 1 or not self.classifiers:
            raise ValueError("the video service needs one face detector and a face classifier")
        self.finder: Any = finders[0].detector

    def load(self) -> None:
        super().load()
        if "torch" in sys.modules:  # after the detectors' own load(), which pin it too
            import torch

            p = self.pipeline
            torch.set_num_threads(p.torch_threads or max(1, p.threads // 2))

    def warmup(self) -> None:
        self.load()
        self.finder.warmup()
        for classifier in self.classifiers:
            classifier.warmup()
        for detector in self.track_detectors:
            detector.predict_batch([[np.zeros((256, 256, 3), np.uint8)] * 2])
        # Start the bounded decode workers now, not on the first upload (~1 s).
        warm_workers()

    # -- stages --------------------------------------------------------------------------
    def decode(self, path: Path, run: StageRun) -> Decoded:
        probe = probe_video(path, self.pipeline.limits)
        return Decoded(probe, plan_samples(probe, self.pipeline.sampling), path.stat().st_size)

    def preprocess(self, decoded: Decoded, run: StageRun) -> Prepared:
        p = self.pipeline
        tracker = IouTracker()
        prepared: Prepared | None = None
        total = max(1, len(decoded.plan.times))
        lanes = p.decode_lanes or p.threads
        samples = run.timed(
            "decode", iter_samples(decoded.probe, decoded.plan, p.limits, p.threads, lanes)
        )
        unscored: list[_Face] = []

        def classify_while_decoding() -> None:
            # The detector is waiting for the decoder: score the crops found so far now
            # (each crop's score depends on that crop only: smaller batches change at
            # most float rounding; measured: probabilities equal to 1e-5 on bench clips).
            if not unscored:
                return
            with run.doing("forward"):  # counted as 'classify', not 'detect'
                self._score(unscored)
            unscored.clear()

        # Decode runs one chunk ahead in a thread: FFmpeg and torch both release the GIL,
        # so the next frames decode while the face detector works on these ones.
        chunks = _prefetch(_chunks(samples, p.detect_batch), depth=2, idle=classify_while_decoding)
        for chunk in chunks:
            if prepared is None:
                size = (chunk[0].rgb.shape[1], chunk[0].rgb.shape[0])
                prepared = Prepared(size, self._side_for(*size))
            found = self.finder.detect([s.rgb for s in chunk], prepared.side)
            for sample, boxes in zip(chunk, found, strict=True):
                prepared.sample_times.append(sample.t_s)
                for tracked in tracker.update(
                    sample.index, sample.t_s, boxes[: p.max_faces_per_frame]
                ):
                    crop = crop_face(sample.rgb, tracked.box, p.crop_margin)
                    prepared.faces.append(_Face(tracked, crop))
                    unscored.append(prepared.faces[-1])
            run.advance(len(prepared.sample_times), total)
        assert prepared is not None  # iter_samples raises when nothing decodes
        return prepared

    def forward(self, prepared: Prepared, run: StageRun) -> Scored:
        faces = prepared.faces
        # Crops not already scored while the decoder was behind (see preprocess).
        todo = [f for f in faces if f.score is None]
        step = self.pipeline.classify_batch
        for start in range(0, len(todo), step):
            self._score(todo[start : start + step])
            run.advance(start + step, len(todo))
        return Scored(self._track_notes(_by_track(faces)) if faces else [])

    def _score(self, faces: Sequence[_Face]) -> None:
        step = self.pipeline.classify_batch
        for start in range(0, len(faces), step):
            batch = faces[start : start + step]
            for item, score in zip(
                batch, classify_faces(self.classifiers, [f.crop for f in batch]), strict=True
            ):
                item.score = score

    def aggregate(
        self, decoded: Decoded, prepared: Prepared, scored: Scored, run: StageRun
    ) -> ModalityResult:
        probe, faces, p = decoded.probe, prepared.faces, self.pipeline
        with_face = {f.face.t_s for f in faces}
        evidence = VideoEvidence(
            duration_s=round(probe.duration_s, 3),
            fps=round(probe.fps, 3),
            width=prepared.size[0],
            height=prepared.size[1],
            sampled_frames=len(prepared.sample_times),
            frames_without_face=[round(t, 3) for t in prepared.sample_times if t not in with_face],
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
            aggregation=aggregate.describe(p.min_track_samples, p.min_confident),
            has_audio=probe.has_audio,
        )
        condition = self._condition(decoded, prepared)
        if not faces:
            scale = detection_scale(*prepared.size, prepared.side)
            smallest = max(float(self.finder.min_face_px), DETECT_MIN_PX / scale)
            return ModalityResult(
                modality=Modality.video,
                status=ModalityStatus.no_signal,
                confidence=0.0,
                flags=["no_face"],
                reason=f"No face was found in any of the {len(prepared.sample_times)} sampled "
                f"frames (faces smaller than {smallest:.0f} px are not searched for at this "
                "resolution).",
                evidence=evidence,
                condition=condition,
            )
        by_track = _by_track(faces)
        video = aggregate.score_video(
            {tid: [_p(f) for f in items] for tid, items in by_track.items()},
            min_track_samples=p.min_track_samples,
            min_confident=p.min_confident,
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
        evidence.aggregation += "".join(scored.track_notes)
        flags = []
        if len(video.tracks) > 1:
            flags.append("multiple_faces")
        if chosen.samples < p.full_confidence_samples:
            flags.append("few_frames")
        confidence = min(1.0, chosen.samples / p.full_confidence_samples)
        face_px = _median_side(by_track[chosen.track_id])
        if face_px < p.small_face_px:
            flags.append("small_face")
            confidence *= max(SMALL_FACE_CONFIDENCE_FLOOR, face_px / p.small_face_px)
            evidence.aggregation += (
                f" The judged face measures about {face_px:.0f} px, smaller than the "
                f"{p.small_face_px} px the face classifiers are reliable at: it counts less."
            )
        counted = any(counts(c.info) for c in self.classifiers)
        return ModalityResult(
            modality=Modality.video,
            status=ModalityStatus.ok if counted else ModalityStatus.untrained,
            fake_probability=video.fake_probability,
            confidence=round(confidence, 3),
            flags=flags,
            reason=None if counted else "Only detectors without trained weights ran.",
            evidence=evidence,
            condition=condition,
        )

    # -- internals ---------------------------------------------------------------------
    def _side_for(self, width: int, height: int) -> int:
        if self.pipeline.detect_max_side is not None:
            return self.pipeline.detect_max_side
        return detect_side_for(width, height, self.pipeline.small_face_px)

    def _condition(self, decoded: Decoded, prepared: Prepared) -> dict[str, float | str]:
        probe = decoded.probe
        condition: dict[str, float | str] = {
            "width": float(prepared.size[0]),
            "height": float(prepared.size[1]),
            "codec": probe.codec,
            "container": probe.format_name,
            "fps": round(probe.fps, 3),
        }
        if probe.duration_s > 0:
            condition["bitrate_kbps"] = round(decoded.size_bytes * 8 / probe.duration_s / 1e3, 1)
        if prepared.faces:
            condition["face_px"] = round(_median_side(prepared.faces), 1)
        return condition

    def _track_notes(self, by_track: dict[int, list[_Face]]) -> list[str]:
        """Track detectors (the seed temporal model) are reported per track and never
        enter the score: no trained weights exist for them yet."""
        notes = []
        ids = sorted(by_track)
        for detector in self.track_detectors:
            scores = detector.predict_batch([[f.crop for f in by_track[i]] for i in ids])
            info = detector.info
            listed = ", ".join(f"track {i}: {p:.3f}" for i, p in zip(ids, scores, strict=True))
            notes.append(
                f" {info.name} ({info.weights.value} weights, not used in the score): {listed}."
            )
        return notes

    def _thumbnails(self, faces: list[_Face]) -> list[VideoThumbnail]:
        ranked = sorted(faces, key=lambda f: (-_p(f), f.face.t_s))[: self.pipeline.max_thumbnails]
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


def _by_track(faces: list[_Face]) -> dict[int, list[_Face]]:
    by_track: dict[int, list[_Face]] = {}
    for f in faces:
        by_track.setdefault(f.face.track_id, []).append(f)
    return by_track


def _median_side(faces: Sequence[_Face]) -> float:
    return float(np.median([min(f.face.box.width, f.face.box.height) for f in faces]))


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


def _prefetch(
    items: Iterator[list[DecodedSample]], depth: int, idle: Callable[[], None] | None = None
) -> Iterator[list[DecodedSample]]:
    """Run ``items`` in a background thread, ``depth`` items ahead; re-raise its errors
    (MediaRejected from the decoder) here. Stops the thread if the consumer gives up.
    ``idle`` runs (in the consumer's thread) whenever the next item is not ready yet."""
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
            if idle is not None and buffer.empty():
                idle()
            item = buffer.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join(timeout=5)


def build_analyzer(settings: VideoSettings) -> VideoAnalyzer:
    """The video analyzer the settings describe, its detectors built by the registry."""
    import dd_video.detectors  # noqa: F401  (registers the detectors this service ships)

    return VideoAnalyzer(
        settings.build_detectors(VideoAnalyzer.accepts), VideoPipeline.from_settings(settings)
    )
