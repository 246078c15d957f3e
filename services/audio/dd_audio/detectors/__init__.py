"""Audio detectors: AASIST (real weights) and the seed spectrogram CNN (untrained)."""
