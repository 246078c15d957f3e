"""The recording's condition, measured cheaply from the container and the decoded signal:
what calibration and the reader need to judge how far AASIST can be trusted on it
(low-bitrate codecs and telephone-band audio are its known false-alarm sources)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dd_audio.features import power_spectrogram

ROLLOFF = 0.99  # roll-off: the frequency below which 99 % of the energy lies
# Effective bandwidth: the highest frequency whose average power is within this many dB
# of the spectrum's peak. Speech puts 99 % of its energy below ~4-5 kHz even when wide
# band, so the roll-off alone hardly tells 16 kHz from telephone audio; the -50 dB edge
# does (shared clips: wide 7.4-8 kHz, 8 kHz-sampled 4.4-4.5 kHz).
EDGE_DB = 50.0
NARROWBAND_CUTOFF_HZ = 4000.0


@dataclass(frozen=True)
class Band:
    bandwidth_hz: float  # -50 dB edge of the average spectrum
    rolloff99_hz: float  # 99 % energy roll-off
    high_band_ratio: float  # share of the energy above 4 kHz (telephone band has ~none)


def band(samples: np.ndarray, sample_rate: int = 16_000, power: np.ndarray | None = None) -> Band:
    """Both figures from one averaged power spectrum (one pass over the clip). ``power``:
    the clip's ``power_spectrogram`` when the caller already has it."""
    frames = power_spectrogram(samples) if power is None else power
    power = frames.sum(axis=0).astype(np.float64)
    freqs = np.linspace(0.0, sample_rate / 2, len(power))
    total = float(power.sum())
    if total <= 0:
        return Band(0.0, 0.0, 0.0)
    cumulative = np.cumsum(power) / total
    rolloff = float(freqs[min(int(np.searchsorted(cumulative, ROLLOFF)), len(freqs) - 1)])
    edge = float(freqs[np.nonzero(power >= power.max() * 10 ** (-EDGE_DB / 10))[0].max()])
    high = float(power[freqs >= NARROWBAND_CUTOFF_HZ].sum() / total)
    return Band(round(edge, 1), round(rolloff, 1), high)


def bitrate_kbps(size_bytes: int, duration_s: float) -> float | None:
    """Average bitrate of the whole file (container overhead included): an estimate."""
    if duration_s <= 0:
        return None
    return round(size_bytes * 8 / duration_s / 1000.0, 1)
