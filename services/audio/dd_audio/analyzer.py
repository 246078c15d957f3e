"""AudioAnalyzer: file in, ModalityResult(modality=audio) out. Never imports FastAPI."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from dd_audio import aggregate, windows
from dd_audio.decode import DecodedAudio, DecodeLimits, decode_audio
from dd_audio.detectors.aasist import AasistDetector, AasistOptions
from dd_audio.features import high_band_ratio
from dd_audio.spectrogram import render_base64
from dd_contracts import (
    AudioEvidence,
    AudioWindow,
    Modality,
    ModalityResult,
    ModalityStatus,
    ModelInfo,
    WeightsState,
)
from dd_inference import ProgressCallback
from dd_inference.runtime import configure_torch

# Telephone-band speech (nothing above 4 kHz) is a known AASIST false-positive source.
NARROWBAND_RATIO = 1e-3  # -30 dB: 16 kHz speech here is >= 4e-3, 8 kHz speech <= 3e-4
# Confidence grows with the seconds of speech judged: 10 s or more counts fully.
FULL_CONFIDENCE_SPEECH_S = 10.0
MIN_CONFIDENCE = 0.2
NARROWBAND_CONFIDENCE_FACTOR = 0.5
ISOLATED_FAKE = 0.5  # any window judged fake while the clip is not

AudioLimits = DecodeLimits


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 2)


class AudioAnalyzer:
    """Decode -> windows -> AASIST per speech window -> top-k clip score -> evidence.

    Args:
        models_dir: folder holding ``aasist/<variant>.pth`` and ``.conf``.
        variant: 'AASIST' (default) or 'AASIST-L' (3.5x fewer parameters, a little faster).
        threads: torch intra-op threads.
        limits: byte and duration limits for the decoder.
        hop: window hop in samples (see ``windows.py`` for the default's rationale).
        batch_size: windows per AASIST forward (1 was fastest on 2 cores: a smaller
            working set for the 66 MB-per-window first encoder block; see bench/audio.py).
        spectrogram: render the evidence PNG (off saves ~50 ms a minute of audio).
        cnn: also run the seed spectrogram CNN; its score counts only with real weights.
        cnn_weights: its weight file, relative to models_dir.
        aasist_options: inference speed-ups (BN folding, channels-last).
    """

    def __init__(
        self,
        models_dir: Path,
        variant: str = "AASIST",
        threads: int = 2,
        limits: DecodeLimits | None = None,
        hop: int = windows.DEFAULT_HOP,
        batch_size: int = 1,
        spectrogram: bool = True,
        cnn: bool = False,
        cnn_weights: str | None = None,
        aasist_options: AasistOptions | None = None,
    ) -> None:
        self.threads = threads
        self.limits = limits or DecodeLimits()
        self.hop = hop
        self.batch_size = max(1, batch_size)
        self.spectrogram = spectrogram
        self.aasist = AasistDetector(Path(models_dir), variant, aasist_options)
        self.cnn = None
        if cnn:
            from dd_audio.detectors.spectrogram_cnn import DEFAULT_WEIGHTS, SpectrogramCnnDetector

            self.cnn = SpectrogramCnnDetector(Path(models_dir), cnn_weights or DEFAULT_WEIGHTS)

    @property
    def models(self) -> list[ModelInfo]:
        infos = [self.aasist.info]
        if self.cnn is not None:
            infos.append(self.cnn.info)
        return infos

    def load(self) -> None:
        configure_torch(self.threads)
        self.aasist.load()  # raises WeightsMissing
        if self.cnn is not None:
            self.cnn.load()

    def warmup(self) -> None:
        self.aasist.warmup()
        if self.cnn is not None:
            self.cnn.warmup()

    def score_windows(
        self, samples: np.ndarray, spans: list[windows.Window], progress: ProgressCallback | None
    ) -> list[float]:
        """AASIST P(fake) for each window in ``spans``, ``batch_size`` at a time."""
        scores: list[float] = []
        for i in range(0, len(spans), self.batch_size):
            batch = [windows.extract(samples, w) for w in spans[i : i + self.batch_size]]
            scores += self.aasist.predict_batch(batch)
            if progress is not None:
                progress(0.1 + 0.85 * len(scores) / len(spans))
        return scores

    def analyze(self, path: Path, progress: ProgressCallback | None = None) -> ModalityResult:
        t0 = time.perf_counter()
        decoded = decode_audio(Path(path), self.limits)
        t_decode = time.perf_counter()
        if progress is not None:
            progress(0.1)
        if not isinstance(decoded, DecodedAudio):
            return ModalityResult(
                modality=Modality.audio,
                status=ModalityStatus.no_signal,
                reason=decoded.reason,
                flags=["no_sound_track"],
                models=self.models,
                latencies_ms={"decode": _ms(t_decode - t0), "total": _ms(t_decode - t0)},
            )
        return self._judge(decoded, t0, t_decode, progress)

    def _judge(
        self,
        audio: DecodedAudio,
        t0: float,
        t_decode: float,
        progress: ProgressCallback | None,
    ) -> ModalityResult:
        samples, rate = audio.samples, audio.sample_rate
        spans = windows.split(samples, self.hop)
        ratio = windows.speech_ratio(samples)
        speech = [w for w in spans if w.speech]
        t_windows = time.perf_counter()

        speech_scores = self.score_windows(samples, speech, progress) if speech else []
        by_start = {w.start: s for w, s in zip(speech, speech_scores, strict=True)}
        scores: list[float | None] = [by_start.get(w.start) for w in spans]
        cnn_clip = self._cnn_score(samples, speech)
        t_model = time.perf_counter()

        clip = aggregate.clip_score(speech_scores)
        flags = self._flags(audio, samples) if speech else []
        if clip is not None and clip < 0.5 and max(speech_scores) > ISOLATED_FAKE:
            # One strongly fake window does not flip the clip (aggregate.py), but a short
            # synthetic sentence looks exactly like this, so say so.
            flags.append("isolated_fake_window")
        aggregation = aggregate.RULE
        if cnn_clip is not None and clip is not None and self.cnn is not None:
            if self.cnn.info.weights == WeightsState.real:
                clip = (clip + cnn_clip) / 2
                aggregation += f"; averaged with the spectrogram CNN ({cnn_clip:.3f})"
            else:
                aggregation += f"; spectrogram CNN untrained ({cnn_clip:.3f}), excluded"

        suspicious = aggregate.suspicious(scores)
        shaded = [
            (w.start / rate, w.end / rate) for w, s in zip(spans, suspicious, strict=True) if s
        ]
        png = render_base64(samples, shaded, rate) if self.spectrogram else None
        t_end = time.perf_counter()

        evidence = AudioEvidence(
            duration_s=audio.duration_s,
            sample_rate=rate,
            speech_ratio=min(1.0, max(0.0, ratio)),
            windows=[
                AudioWindow(
                    start_s=w.start / rate, end_s=w.end / rate, fake_probability=s, speech=w.speech
                )
                for w, s in zip(spans, scores, strict=True)
            ],
            aggregation=aggregation,
            spectrogram_png_base64=png,
        )
        latencies = {
            "decode": _ms(t_decode - t0),
            "windows": _ms(t_windows - t_decode),
            "model": _ms(t_model - t_windows),
            "spectrogram": _ms(t_end - t_model),
            "total": _ms(t_end - t0),
        }
        if progress is not None:
            progress(1.0)
        if clip is None:
            return ModalityResult(
                modality=Modality.audio,
                status=ModalityStatus.no_signal,
                reason="no speech (silence only)",
                flags=["silence"],
                models=self.models,
                latencies_ms=latencies,
                evidence=evidence,
            )
        return ModalityResult(
            modality=Modality.audio,
            status=ModalityStatus.ok,
            fake_probability=min(1.0, max(0.0, clip)),
            confidence=self._confidence(ratio * audio.duration_s, len(speech), flags),
            flags=flags,
            models=self.models,
            latencies_ms=latencies,
            evidence=evidence,
        )

    def _cnn_score(self, samples: np.ndarray, speech: list[windows.Window]) -> float | None:
        if self.cnn is None or not speech:
            return None
        scores = self.cnn.predict_batch([windows.extract(samples, w) for w in speech])
        return aggregate.clip_score(scores)

    @staticmethod
    def _flags(audio: DecodedAudio, samples: np.ndarray) -> list[str]:
        flags = []
        if (audio.source_rate and audio.source_rate <= 8000) or high_band_ratio(
            samples
        ) < NARROWBAND_RATIO:
            flags.append("narrowband")
        if audio.truncated:
            flags.append("truncated_media")
        return flags

    @staticmethod
    def _confidence(speech_s: float, n_windows: int, flags: list[str]) -> float:
        """Less speech, less confidence; narrowband audio halves it (AASIST's blind spot)."""
        confidence = max(MIN_CONFIDENCE, min(1.0, speech_s / FULL_CONFIDENCE_SPEECH_S))
        if "narrowband" in flags:
            confidence *= NARROWBAND_CONFIDENCE_FACTOR
        if n_windows < 2:
            confidence = min(confidence, 0.6)  # one window: no second opinion on the clip
        return round(confidence, 3)
