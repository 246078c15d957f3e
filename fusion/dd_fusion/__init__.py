"""Fusion service: combines modality scores into one calibrated verdict."""

__version__ = "0.1.0"
