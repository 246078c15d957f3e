"""The detectors the audio service ships; importing this package registers them.

A new detector for this service = a module that registers it (kind audio_window, see
dd_inference.registry) plus one import line here; then enable it in AUDIO_DETECTORS.
"""

from dd_audio.detectors import aasist, spectrogram_cnn  # noqa: F401
