"""AASIST: our network must take the authors' checkpoints tensor for tensor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from dd_audio.detectors.aasist import AasistDetector, AasistOptions
from dd_audio.detectors.aasist_net import SEGMENT_SAMPLES
from dd_contracts import WeightsState
from dd_inference import WeightsMissing


@pytest.mark.weights
@pytest.mark.parametrize("variant", ["AASIST", "AASIST-L"])
def test_strict_load_matches_every_tensor(models_dir: Path, variant: str) -> None:
    detector = AasistDetector(models_dir, variant)
    state = torch.load(detector.weights.require(), weights_only=True, map_location="cpu")
    net = detector.build_strict()  # load_state_dict(strict=True) inside
    ours = net.state_dict()
    assert set(ours) == set(state) and len(state) == 229
    for name, tensor in state.items():
        assert ours[name].shape == tensor.shape, name
        assert torch.equal(ours[name], tensor), name
    info = detector.info
    assert info.weights == WeightsState.real and info.sha256 and len(info.sha256) == 64


@pytest.mark.weights
def test_fused_inference_net_gives_the_same_logits(models_dir: Path) -> None:
    rng = np.random.default_rng(0)
    batch = (0.1 * rng.standard_normal((2, SEGMENT_SAMPLES))).astype(np.float32)
    plain = AasistDetector(models_dir, options=AasistOptions(fuse_bn=False))
    fused = AasistDetector(models_dir, options=AasistOptions(fuse_bn=True, channels_last=True))
    plain.load()
    fused.load()
    np.testing.assert_allclose(plain.logits(batch), fused.logits(batch), atol=1e-3)
    probs = fused.predict_batch(list(batch))
    assert len(probs) == 2 and all(0.0 <= p <= 1.0 for p in probs)


@pytest.mark.weights
def test_wrong_window_length_is_refused(models_dir: Path) -> None:
    detector = AasistDetector(models_dir)
    detector.load()
    with pytest.raises(ValueError):
        detector.predict_batch([np.zeros(16_000, dtype=np.float32)])


def test_missing_weights_raise_and_report_missing(tmp_path: Path) -> None:
    detector = AasistDetector(tmp_path, "AASIST-L")
    assert detector.info.weights == WeightsState.missing and detector.info.sha256 is None
    with pytest.raises(WeightsMissing):
        detector.load()
    with pytest.raises(ValueError):
        AasistDetector(tmp_path, "AASIST-XL")
