"""Video deepfake detection: sample frames, find and track faces, score them, aggregate.

Model code only; the HTTP layer lives beside it (app.py) and imports from here."""

__version__ = "0.1.0"
