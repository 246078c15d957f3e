"""Face detection (MTCNN) and face-forgery classification (MesoNet), shared by the image
and video services. Importing this package loads neither torch nor tensorflow: each
detector imports its framework in load()."""

from dd_face.crops import crop_face, square_region, whole_frame_crop
from dd_face.ensemble import (
    ALL_MEMBERS,
    DEFAULT_MEMBERS,
    FaceForgeryEnsemble,
    combine_by_family,
    combine_logit_mean,
)
from dd_face.mesonet import MESONET_SPECS, MesoNetDetector, build_meso4, build_mesoinception4
from dd_face.mtcnn import MtcnnFaceDetector
from dd_face.scoring import classify_faces
from dd_face.types import FaceBox, FaceScore

__all__ = [
    "ALL_MEMBERS",
    "DEFAULT_MEMBERS",
    "MESONET_SPECS",
    "FaceBox",
    "FaceForgeryEnsemble",
    "FaceScore",
    "MesoNetDetector",
    "MtcnnFaceDetector",
    "build_meso4",
    "build_mesoinception4",
    "classify_faces",
    "combine_by_family",
    "combine_logit_mean",
    "crop_face",
    "square_region",
    "whole_frame_crop",
]
