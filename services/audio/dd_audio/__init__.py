"""Audio deepfake detection: decode, window, score with AASIST, aggregate, explain.

Plain Python and PyTorch; the HTTP layer imports ``dd_audio.analyzer.AudioAnalyzer``.
Nothing is imported here so that light modules (windows, aggregate) stay light.
"""

__version__ = "0.1.0"
