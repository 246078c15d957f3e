"""Log-mel spectrogram in NumPy (no librosa): shared by the PNG and the seed CNN."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

N_FFT = 512
HOP = 160  # 10 ms at 16 kHz
N_MELS = 64


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + hz / 700.0)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)


@lru_cache(maxsize=8)
def mel_filterbank(sample_rate: int, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """(n_mels, n_fft // 2 + 1) triangular filters, HTK mel scale, peak 1."""
    bins = np.linspace(0.0, sample_rate / 2, n_fft // 2 + 1)
    edges = _mel_to_hz(np.linspace(0.0, _hz_to_mel(np.array(sample_rate / 2.0)), n_mels + 2))
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins[None, :] - lower) / (centre - lower)
    falling = (upper - bins[None, :]) / (upper - centre)
    return np.maximum(0.0, np.minimum(rising, falling)).astype(np.float32)


def power_spectrogram(samples: np.ndarray, n_fft: int = N_FFT, hop: int = HOP) -> np.ndarray:
    """(frames, n_fft // 2 + 1) power of Hann-windowed frames."""
    if len(samples) < n_fft:
        samples = np.pad(samples, (0, n_fft - len(samples)))
    frames = np.lib.stride_tricks.sliding_window_view(samples, n_fft)[::hop]
    spectrum = np.fft.rfft(frames * np.hanning(n_fft).astype(np.float32), axis=1)
    return (spectrum.real**2 + spectrum.imag**2).astype(np.float32)


def log_mel(
    samples: np.ndarray,
    sample_rate: int = 16_000,
    n_mels: int = N_MELS,
    power: np.ndarray | None = None,
) -> np.ndarray:
    """(frames, n_mels) log-mel energies in dB (floor -100 dB). ``power``: the clip's
    ``power_spectrogram`` when the caller already has it (it is the costly part)."""
    power = power_spectrogram(samples) if power is None else power
    mel = power @ mel_filterbank(sample_rate, N_FFT, n_mels).T
    return (10.0 * np.log10(np.maximum(mel, 1e-10))).astype(np.float32)


def high_band_ratio(
    samples: np.ndarray, sample_rate: int = 16_000, cutoff_hz: float = 4000.0
) -> float:
    """Share of the spectral energy above ``cutoff_hz`` (telephone-band audio has ~none)."""
    power = power_spectrogram(samples).sum(axis=0)
    freqs = np.linspace(0.0, sample_rate / 2, len(power))
    total = float(power.sum())
    return float(power[freqs >= cutoff_hz].sum() / total) if total > 0 else 0.0
