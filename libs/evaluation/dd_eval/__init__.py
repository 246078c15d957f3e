"""DeepfakeDetective evaluation: metrics, corpus loading, perturbations, the evaluation
runner (gateway or in-process), reports, and calibration.

Only ``dd_eval.calibration`` and ``dd_eval.conditions`` are meant for the services; they
need numpy alone. Everything else comes with the ``eval`` extra.
"""

__version__ = "0.1.0"
