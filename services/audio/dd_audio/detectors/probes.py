"""Deterministic 4 s test signals for the accelerator's load-time accuracy check.

The accelerator layer compares every speed option with eager FP32 before using it. An
all-zero window is a poor probe for int8: a quantised graph can answer silence exactly
and still be wrong on sound, because its activation ranges only matter once there is
signal. These probes exercise the ranges with what the service actually sees, without
shipping media: a voiced, speech-like signal (gliding pitch with vibrato, harmonics,
formant resonances, a syllable-rate envelope), the same at a low level under noise, and
coloured noise. They are generated from fixed parameters and a fixed seed, so the check
is the same at every start. Measured agreement on real speech is not their job: that is
``scripts/aasist_int8_ranges.py evaluate`` over the evaluation corpus.
"""

from __future__ import annotations

import numpy as np

RATE = 16_000
# Vowel-like formant centres and bandwidths (Hz): /a/, /i/, /u/ cycle across syllables.
_FORMANTS = (((730, 90), (1090, 110), (2440, 170)),
             ((270, 60), (2290, 100), (3010, 170)),
             ((300, 60), (870, 90), (2240, 170)))  # fmt: skip


def _voice(n: int, f0: float, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / RATE
    pitch = f0 * (1 + 0.25 * t / t[-1]) * (1 + 0.02 * np.sin(2 * np.pi * 5.5 * t))
    phase = 2 * np.pi * np.cumsum(pitch) / RATE
    harmonics = np.sum([np.sin(k * phase) / k for k in range(1, 40)], axis=0)
    syllables = 4.0  # per second
    envelope = np.clip(np.sin(np.pi * syllables * t) ** 2 * 1.3, 0, 1)
    out = np.zeros(n)
    for i, start in enumerate(range(0, n, RATE // int(syllables))):
        stop = min(n, start + RATE // int(syllables))
        seg = harmonics[start:stop] + 0.05 * rng.standard_normal(stop - start)
        out[start:stop] = _shape(seg, _FORMANTS[i % len(_FORMANTS)])
    return out * envelope


def _shape(segment: np.ndarray, formants: tuple[tuple[int, int], ...]) -> np.ndarray:
    """Resonances as Lorentzian gains in the frequency domain (numpy only)."""
    spectrum = np.fft.rfft(segment)
    freqs = np.fft.rfftfreq(len(segment), 1 / RATE)
    gain = sum(1 / (1 + ((freqs - f) / (bw / 2)) ** 2) for f, bw in formants)
    return np.fft.irfft(spectrum * (0.05 + gain), len(segment))


def _at_dbfs(x: np.ndarray, dbfs: float) -> np.ndarray:
    rms = float(np.sqrt(np.mean(x * x))) or 1.0
    return x * (10 ** (dbfs / 20) / rms)


def _pink(n: int, rng: np.random.Generator) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    return np.fft.irfft(spectrum / np.sqrt(np.maximum(freqs, 20.0)), n)


def probe_windows(n: int = 64_600, seed: int = 14) -> np.ndarray:
    """(3, n) float32: speech-like voice at -20 dBFS, a quieter voice under noise at
    -32 dBFS, pink noise at -30 dBFS."""
    rng = np.random.default_rng(seed)
    voice = _at_dbfs(_voice(n, 110.0, rng), -20)
    quiet = _at_dbfs(_voice(n, 190.0, rng), -32) + _at_dbfs(_pink(n, rng), -50)
    noise = _at_dbfs(_pink(n, rng), -30)
    return np.clip(np.stack([voice, quiet, noise]), -1, 1).astype(np.float32)
