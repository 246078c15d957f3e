"""The accelerator layer on a tiny model: every option answers like eager FP32 (within
the tolerance) or falls back with a log line saying why."""

from __future__ import annotations

import logging
import shutil

import pytest
import torch

from dd_inference import accel
from dd_inference.accel import AccelSettings, accelerate

TOLERANCE = 0.01


class TinyNet(torch.nn.Module):
    """Conv + BN + ReLU + pool + linear: the layer kinds MTCNN and AASIST are made of."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(8)
        self.head = torch.nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn(self.conv(x)))
        return self.head(y.mean(dim=(2, 3)))


class TwoHeads(torch.nn.Module):
    """Fully convolutional with two outputs, like MTCNN's P-Net (boxes, face scores)."""

    def __init__(self) -> None:
        super().__init__()
        self.body = torch.nn.Conv2d(3, 4, 3)
        self.boxes = torch.nn.Conv2d(4, 4, 1)
        self.scores = torch.nn.Conv2d(4, 2, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        y = torch.relu(self.body(x))
        return self.boxes(y), torch.softmax(self.scores(y), dim=1)


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    net = TinyNet()
    with torch.no_grad():  # non-trivial running stats, so BN is not the identity
        assert net.bn.running_mean is not None and net.bn.running_var is not None
        net.bn.running_mean.uniform_(-0.5, 0.5)
        net.bn.running_var.uniform_(0.5, 2.0)
    return net.eval()


def _softmax(t: torch.Tensor) -> torch.Tensor:
    return t.softmax(-1)


def _probabilities(module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        return module(x).softmax(-1)


def _compiler_missing() -> bool:
    return shutil.which("g++") is None and shutil.which("c++") is None


OPTIONS = ["channels_last", "bf16", "onnx", "compile"]


@pytest.mark.parametrize("option", OPTIONS)
def test_every_option_answers_like_eager(option: str, caplog: pytest.LogCaptureFixture) -> None:
    if option == "compile" and _compiler_missing():
        pytest.skip("torch.compile's CPU backend needs a C++ compiler (apt-get install g++)")
    net = _model()
    example = torch.rand(2, 3, 16, 16)
    other = torch.rand(5, 3, 16, 16)  # another batch size: dynamic batch must work
    eager = _probabilities(net, other)
    settings = AccelSettings(device="cpu", tolerance=TOLERANCE, **{option: True})
    with caplog.at_level(logging.INFO, logger="dd_inference.accel"):
        module, report = accelerate(net, example, settings, to_probability=_softmax)
    if option in report.applied:
        assert float((_probabilities(module, other) - eager).abs().max()) < TOLERANCE
        assert report.max_abs_diff < TOLERANCE
    else:
        # Only a missing capability may refuse an option, and it must say so in the log.
        assert option in report.fallbacks
        allowed = {
            "bf16": not accel.cpu_has_bf16(),
            "onnx": not accel.onnxruntime_importable(),
        }
        assert allowed.get(option, False), report.fallbacks[option]
        assert any(
            option in r.getMessage() and "not used" in r.getMessage() for r in caplog.records
        )
        assert torch.equal(_probabilities(module, other), eager)
    assert report.device == "cpu"


def test_options_stack_and_the_original_module_is_untouched() -> None:
    net = _model()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    x = torch.rand(3, 3, 16, 16)
    eager = _probabilities(net, x)
    settings = AccelSettings(device="cpu", channels_last=True, bf16=True)
    module, report = accelerate(net, x, settings, to_probability=_softmax)
    assert "channels_last" in report.applied
    assert float((_probabilities(module, x) - eager).abs().max()) < TOLERANCE
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert not next(net.parameters()).is_contiguous(memory_format=torch.channels_last) or (
        next(net.parameters()).dim() != 4
    )


def test_onnx_handles_tuple_outputs_and_dynamic_spatial_dims() -> None:
    pytest.importorskip("onnxruntime", reason="pip install -r requirements/deploy-tools.txt")
    torch.manual_seed(1)
    net = TwoHeads().eval()
    example = torch.rand(1, 3, 24, 24)
    module, report = accelerate(
        net, example, AccelSettings(device="cpu", onnx=True), dynamic_dims=(0, 2, 3)
    )
    assert report.applied == ["onnx"]
    x = torch.rand(3, 3, 40, 33)  # another batch and another image size
    with torch.inference_mode():
        expected, got = net(x), module(x)
    assert isinstance(got, tuple) and len(got) == 2
    for a, b in zip(expected, got, strict=True):
        assert a.shape == b.shape
        assert float((a - b).abs().max()) < 1e-4
    # MTCNN's later stages are called with zero candidate boxes: shapes must still match.
    empty = torch.rand(0, 3, 24, 24)
    with torch.inference_mode():
        assert [t.shape for t in module(empty)] == [t.shape for t in net(empty)]


def test_an_option_that_moves_the_answer_is_refused(caplog: pytest.LogCaptureFixture) -> None:
    """The accuracy gate: with a negative tolerance every option 'moves the answer too
    much', so each is refused, logged, and the eager module is served."""
    net = _model()
    x = torch.rand(2, 3, 16, 16)
    settings = AccelSettings(device="cpu", channels_last=True, tolerance=-1.0)
    with caplog.at_level(logging.WARNING, logger="dd_inference.accel"):
        module, report = accelerate(net, x, settings)
    assert report.applied == []
    assert "output moved" in report.fallbacks["channels_last"]
    assert any("channels_last not used" in r.getMessage() for r in caplog.records)
    assert torch.equal(_probabilities(module, x), _probabilities(net, x))


def test_unavailable_xpu_and_ipex_fall_back_with_a_log_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(accel, "xpu_available", lambda: False)
    monkeypatch.setattr(accel, "ipex_importable", lambda: False)
    net = _model()
    x = torch.rand(2, 3, 16, 16)
    with caplog.at_level(logging.WARNING, logger="dd_inference.accel"):
        module, report = accelerate(net, x, AccelSettings(device="xpu", ipex=True))
    assert report.device == "cpu"
    assert set(report.fallbacks) == {"xpu", "ipex"}
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "xpu not used" in messages and "ipex not used" in messages
    assert torch.equal(_probabilities(module, x), _probabilities(net, x))
    # 'auto' picks the CPU quietly when there is no XPU: not a fallback, a choice.
    _, auto = accelerate(net, x, AccelSettings(device="auto"))
    assert auto.device == "cpu" and auto.fallbacks == {}


def test_bf16_is_refused_on_a_cpu_without_bf16_instructions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(accel, "cpu_has_bf16", lambda flags=None: False)
    _, report = accelerate(_model(), torch.rand(1, 3, 8, 8), AccelSettings(device="cpu", bf16=True))
    assert "AVX512-BF16" in report.fallbacks["bf16"]


def test_cpu_flag_probe(tmp_path) -> None:  # type: ignore[no-untyped-def]
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse avx512f avx512_bf16\n")
    assert accel.cpu_flags(info) == {"fpu", "sse", "avx512f", "avx512_bf16"}
    assert accel.cpu_has_bf16({"amx_bf16"})
    assert not accel.cpu_has_bf16({"avx512f"})
    assert accel.cpu_flags(tmp_path / "missing") == set()


def test_settings_come_from_the_environment_over_the_detector_defaults() -> None:
    env = {"DD_ACCEL_ONNX": "true", "DD_ACCEL_CHANNELS_LAST": "0", "DD_ACCEL_DEVICE": "XPU"}
    settings = accel.settings_for("aasist", env)
    assert settings.onnx is True and settings.channels_last is False
    assert accel.settings_for("aasist", {"DD_ACCEL_INT8": "off"}).int8 is False
    assert accel.settings_for("mtcnn", {"DD_ACCEL_INT8": "1"}).int8 is True
    assert settings.device == "xpu"
    assert accel.settings_for("aasist", {}) == accel.DETECTOR_DEFAULTS["aasist"]
    assert accel.settings_for("unknown-detector", {}) == AccelSettings()
    with pytest.raises(ValueError, match="DD_ACCEL_BF16"):
        AccelSettings.from_env(env={"DD_ACCEL_BF16": "maybe"})
    with pytest.raises(ValueError, match="DEVICE"):
        AccelSettings.from_env(env={"DD_ACCEL_DEVICE": "cuda"})


def test_report_is_plain_data_for_model_info() -> None:
    _, report = accelerate(_model(), torch.rand(1, 3, 8, 8), AccelSettings(device="cpu"))
    data = report.as_dict()
    assert set(data) == {
        "device", "applied", "fallbacks", "max_abs_diff", "requested", "int8_ranges"
    }  # fmt: skip
    assert data["requested"]["device"] == "cpu"  # type: ignore[index]


def test_tensorflow_settings_without_importing_tensorflow() -> None:
    settings = accel.TensorflowSettings.from_env(
        env={"DD_TF_ONEDNN": "0", "DD_TF_THREADS": "3", "DD_TF_JIT": "1"}
    )
    assert settings == accel.TensorflowSettings(onednn=False, jit=True, threads=3)
    env = accel.tensorflow_env(settings)
    assert env["TF_ENABLE_ONEDNN_OPTS"] == "0" and env["OMP_NUM_THREADS"] == "3"
