"""The detectors the video service ships: importing this module registers them.

A new detector for this service = a module that registers it (see dd_inference.registry)
plus one import line here; then enable it by name in VIDEO_DETECTORS.
"""

import dd_face  # noqa: F401  (mtcnn, mesonet_ensemble and the four MesoNet members)
import dd_video.temporal  # noqa: F401  (temporal_gru)
