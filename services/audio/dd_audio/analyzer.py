"""AudioAnalyzer: file in, ModalityResult(modality=audio) out. Never imports FastAPI.

Stages: decode (PyAV, 16 kHz mono) -> preprocess (4 s windows, speech gate) -> forward
(every enabled window detector on the speech windows) -> aggregate (clip score, alerts,
flags, spectrogram, condition). The detectors come from the registry (AUDIO_DETECTORS);
only those with real weights count, each judged on its own windows and then averaged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from dd_audio import aggregate, windows
from dd_audio.aggregation_params import AggregationParams
from dd_audio.condition import Band, band, bitrate_kbps
from dd_audio.decode import DecodedAudio, DecodeLimits, decode_audio, warm_workers
from dd_audio.features import power_spectrogram
from dd_audio.settings import AudioSettings
from dd_audio.spectrogram import render_base64
from dd_contracts import (
    AudioEvidence,
    AudioWindow,
    Modality,
    ModalityResult,
    ModalityStatus,
    ModelInfo,
)
from dd_contracts.modality import AudioAlert
from dd_inference import DetectorKind, Plugged, StagedAnalyzer, StageRun, counts
from dd_inference.runtime import configure_torch

# Telephone-band speech (nothing above 4 kHz) is a known AASIST false-positive source.
NARROWBAND_RATIO = 1e-3  # -30 dB: 16 kHz speech here is >= 4e-3, 8 kHz speech <= 3e-4
# Confidence grows with the seconds of speech judged: 10 s or more counts fully.
FULL_CONFIDENCE_SPEECH_S = 10.0
MIN_CONFIDENCE = 0.2
NARROWBAND_CONFIDENCE_FACTOR = 0.5
ISOLATED_FAKE = 0.5  # any window judged fake while the clip is not

AudioLimits = DecodeLimits


@dataclass(frozen=True)
class AudioPipeline:
    """What the audio pipeline does around its detectors (not detector options).

    hop: window hop in samples (see ``windows.py`` for the default's rationale).
    batch_size: windows per forward (1 was fastest on 2 cores; see bench/audio.py).
    spectrogram: render the evidence PNG (off saves ~50 ms a minute of audio).
    """

    limits: DecodeLimits = field(default_factory=DecodeLimits)
    hop: int = windows.DEFAULT_HOP
    batch_size: int = 1
    spectrogram: bool = True
    threads: int = 2

    @classmethod
    def from_settings(cls, settings: AudioSettings) -> AudioPipeline:
        return cls(
            limits=DecodeLimits(
                max_bytes=settings.max_upload_bytes, max_duration_s=settings.max_duration_s
            ),
            hop=settings.hop or windows.DEFAULT_HOP,
            batch_size=max(1, settings.batch_size),
            spectrogram=settings.spectrogram,
            threads=settings.threads,
        )


@dataclass
class Decoded:
    audio: DecodedAudio
    size_bytes: int


@dataclass
class Prepared:
    samples: np.ndarray  # the decoded clip (a reference), for cutting windows
    spans: list[windows.Window]
    speech: list[windows.Window]
    ratio: float


@dataclass
class DetectorScores:
    info: ModelInfo
    scores: list[float]  # one per speech window


class AudioAnalyzer(StagedAnalyzer[Decoded, Prepared, list[DetectorScores]]):
    modality = Modality.audio
    accepts = frozenset({DetectorKind.audio_window})
    stage_labels: ClassVar[Mapping[str, str]] = {"preprocess": "windows", "forward": "model"}
    progress_shares: ClassVar[Mapping[str, float]] = {
        "decode": 0.1,
        "preprocess": 0.02,
        "forward": 0.83,
        "aggregate": 0.05,
    }

    def __init__(self, detectors: Sequence[Plugged], pipeline: AudioPipeline | None = None):
        super().__init__(detectors)
        if not self.plugged:
            raise ValueError("the audio service needs at least one window detector")
        self.pipeline = pipeline or AudioPipeline()

    def load(self) -> None:
        configure_torch(self.pipeline.threads)
        super().load()

    # -- stages --------------------------------------------------------------------------

    def warmup(self) -> None:
        super().warmup()
        # Start the bounded decode workers now, not on the first upload (~1 s).
        warm_workers()

    def decode(self, path: Path, run: StageRun) -> Decoded | ModalityResult:
        decoded = decode_audio(path, self.pipeline.limits)
        if not isinstance(decoded, DecodedAudio):
            return ModalityResult(
                modality=Modality.audio,
                status=ModalityStatus.no_signal,
                reason=decoded.reason,
                flags=["no_sound_track"],
                condition={"container": decoded.container},
            )
        return Decoded(decoded, path.stat().st_size)

    def preprocess(self, decoded: Decoded, run: StageRun) -> Prepared:
        samples = decoded.audio.samples
        spans = windows.split(samples, self.pipeline.hop)
        speech = [w for w in spans if w.speech]
        return Prepared(samples, spans, speech, windows.speech_ratio(samples))

    def forward(self, prepared: Prepared, run: StageRun) -> list[DetectorScores]:
        samples = prepared.samples
        out = []
        total = max(1, len(prepared.speech) * len(self.plugged))
        done = 0
        step = self.pipeline.batch_size
        for plugged in self.plugged:
            scores: list[float] = []
            for i in range(0, len(prepared.speech), step):
                batch = [windows.extract(samples, w) for w in prepared.speech[i : i + step]]
                scores += plugged.detector.predict_batch(batch)
                done += len(batch)
                run.advance(done, total)
            out.append(DetectorScores(plugged.detector.info, scores))
        return out

    def aggregate(
        self, decoded: Decoded, prepared: Prepared, scored: list[DetectorScores], run: StageRun
    ) -> ModalityResult:
        audio = decoded.audio
        samples, rate = audio.samples, audio.sample_rate
        counted = [d for d in scored if counts(d.info)]
        deciding = counted or scored  # untrained only: shown, status 'untrained'
        # Per speech window: the mean of the deciding detectors (one detector: its own).
        speech_scores = (
            [float(np.mean(col)) for col in zip(*(d.scores for d in deciding), strict=True)]
            if prepared.speech
            else []
        )
        by_start = {w.start: s for w, s in zip(prepared.speech, speech_scores, strict=True)}
        scores: list[float | None] = [by_start.get(w.start) for w in prepared.spans]
        params = self._aggregation_params()
        clips = {d.info.name: aggregate.clip_score(d.scores, params.trim) for d in scored}
        deciding_clips = [c for d in deciding if (c := clips[d.info.name]) is not None]
        clip = float(np.mean(deciding_clips)) if deciding_clips else None

        # One power spectrogram of the clip serves the band measure and the picture.
        power = power_spectrogram(samples)
        measured = band(samples, rate, power)
        flags = self._flags(audio, measured) if prepared.speech else []
        if clip is not None and clip < 0.5 and max(speech_scores) > ISOLATED_FAKE:
            # One strongly fake window does not flip the clip (aggregate.py), but a short
            # synthetic sentence looks exactly like this, so say so.
            flags.append("isolated_fake_window")
        aggregation = aggregate.RULE + params.note() + self._detectors_note(scored, clips)

        spans_s = [(w.start / rate, w.end / rate) for w in prepared.spans]
        shaded = [span for span, s in zip(spans_s, aggregate.suspicious(scores), strict=True) if s]
        png = render_base64(samples, shaded, rate, power) if self.pipeline.spectrogram else None
        alerts = [
            AudioAlert(start_s=a.start_s, end_s=a.end_s, score=min(1.0, max(0.0, a.score)))
            for a in aggregate.find_alerts(
                spans_s,
                scores,
                threshold=params.alert_threshold,
                min_duration_s=params.min_alert_s,
                min_score=params.min_alert_score,
            )
        ]
        evidence = AudioEvidence(
            duration_s=audio.duration_s,
            sample_rate=rate,
            speech_ratio=min(1.0, max(0.0, prepared.ratio)),
            windows=[
                AudioWindow(start_s=a, end_s=b, fake_probability=s, speech=w.speech)
                for (a, b), w, s in zip(spans_s, prepared.spans, scores, strict=True)
            ],
            alerts=alerts,
            aggregation=aggregation,
            spectrogram_png_base64=png,
        )
        if alerts:
            flags.append("fake_passage")
        condition = self._condition(decoded, measured)
        if "narrowband" in flags:
            condition["narrowband"] = 1.0  # calibration's narrowband band keys on it
        base: dict[str, Any] = {"modality": Modality.audio, "evidence": evidence}
        if clip is None:
            return ModalityResult(
                status=ModalityStatus.no_signal,
                reason="no speech (silence only)",
                flags=["silence"],
                condition=condition,
                **base,
            )
        return ModalityResult(
            status=ModalityStatus.ok if counted else ModalityStatus.untrained,
            fake_probability=min(1.0, max(0.0, clip)),
            confidence=self._confidence(
                prepared.ratio * audio.duration_s,
                len(prepared.speech),
                flags,
                narrowband_penalty=not self.calibrated,
            ),
            flags=flags,
            reason=None if counted else "Only detectors without trained weights ran.",
            condition=condition,
            **base,
        )

    # -- helpers -------------------------------------------------------------------------
    def _aggregation_params(self) -> AggregationParams:
        """The calibration file's fitted clip trim and alert thresholds, when it has them."""
        if self.calibration is None:
            return AggregationParams()
        fitted = self.calibration.aggregation_for("audio")
        return AggregationParams.from_calibration(fitted, self.calibration.version)

    @staticmethod
    def _detectors_note(scored: list[DetectorScores], clips: dict[str, float | None]) -> str:
        if len(scored) < 2:
            return ""
        parts = []
        for d in scored:
            clip = clips[d.info.name]
            shown = "no speech" if clip is None else f"{clip:.3f}"
            state = "counted" if counts(d.info) else f"{d.info.weights.value}, excluded"
            parts.append(f"{d.info.name} {shown} ({state})")
        return "; detectors averaged: " + ", ".join(parts)

    @staticmethod
    def _condition(decoded: Decoded, measured: Band) -> dict[str, float | str]:
        audio = decoded.audio
        condition: dict[str, float | str] = {
            "container": audio.container,
            "codec": audio.codec,
            "sample_rate": float(audio.source_rate),
            "channels": float(audio.source_channels),
            "duration_s": round(audio.duration_s, 3),
            "bandwidth_hz": measured.bandwidth_hz,
            "rolloff99_hz": measured.rolloff99_hz,
        }
        bitrate = bitrate_kbps(decoded.size_bytes, audio.duration_s)
        if bitrate is not None:
            condition["bitrate_kbps"] = bitrate
        return condition

    @staticmethod
    def _flags(audio: DecodedAudio, measured: Band) -> list[str]:
        flags = []
        if (audio.source_rate and audio.source_rate <= 8000) or (
            measured.high_band_ratio < NARROWBAND_RATIO
        ):
            flags.append("narrowband")
        if audio.truncated:
            flags.append("truncated_media")
        return flags

    @staticmethod
    def _confidence(
        speech_s: float, n_windows: int, flags: list[str], narrowband_penalty: bool = True
    ) -> float:
        """Less speech, less confidence; narrowband audio halves it (AASIST's blind spot)
        unless a calibration file is loaded: its measured factor for the narrowband
        condition replaces that guess (dd_inference.calibrated)."""
        confidence = max(MIN_CONFIDENCE, min(1.0, speech_s / FULL_CONFIDENCE_SPEECH_S))
        if narrowband_penalty and "narrowband" in flags:
            confidence *= NARROWBAND_CONFIDENCE_FACTOR
        if n_windows < 2:
            confidence = min(confidence, 0.6)  # one window: no second opinion on the clip
        return round(confidence, 3)


def build_analyzer(settings: AudioSettings) -> AudioAnalyzer:
    """The audio analyzer the settings describe, its detectors built by the registry."""
    import dd_audio.detectors  # noqa: F401  (registers the detectors this service ships)

    return AudioAnalyzer(
        settings.build_detectors(AudioAnalyzer.accepts), AudioPipeline.from_settings(settings)
    )
