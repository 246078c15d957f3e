"""The int8 option on a tiny model, with ranges the test measures itself: it answers like
FP32, it is really quantised, and every way a ranges file can be wrong falls back with a
log line."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch

from dd_inference import accel
from dd_inference.accel import AccelSettings, accelerate

pytest.importorskip("onnxruntime", reason="pip install -r requirements/image-audio.txt")
from dd_inference import accel_int8
from dd_inference.accel_int8 import Int8Ranges, RangesRefused

TOLERANCE = 0.01
SHA = "ab" * 32


class TinyAudioNet(torch.nn.Module):
    """A front-end conv kept in FP32, then conv blocks and a 2-logit head, like AASIST."""

    def __init__(self) -> None:
        super().__init__()
        self.front = torch.nn.Conv1d(1, 8, 31, stride=4)
        self.body = torch.nn.Sequential(
            torch.nn.Conv1d(8, 16, 5, padding=2),
            torch.nn.ReLU(),
            torch.nn.Conv1d(16, 16, 5, padding=2, stride=2),
            torch.nn.ReLU(),
        )
        self.head = torch.nn.Linear(16, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(torch.abs(self.front(x.unsqueeze(1))))
        return self.head(y.mean(dim=2))


def _net() -> torch.nn.Module:
    torch.manual_seed(0)
    return TinyAudioNet().eval()


def _inputs(n: int, seed: int, scale: float = 0.3) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return scale * torch.randn(n, 2000, generator=g)


def _ranges(net: torch.nn.Module, scale: float = 0.3, sha: str = SHA) -> Int8Ranges:
    """Ranges measured the way scripts/aasist_int8_ranges.py does, on random signals."""
    model, _ = accel.export_onnx_bytes(net, _inputs(1, 0), (0,))
    prepared = accel_int8.prepare(model)
    front = next(n for n in accel_int8.node_names(prepared, "Conv") if "front" in n)
    batches = [_inputs(4, seed, scale).numpy() for seed in range(1, 6)]
    return Int8Ranges(
        version="tiny-int8-test",
        weights_sha256=sha,
        tensors=accel_int8.collect_ranges(prepared, batches),
        exclude_nodes=(front,),
    )


def _p(module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        return module(x).softmax(-1)


def test_int8_answers_like_fp32_and_reports_its_ranges() -> None:
    net = _net()
    ranges = _ranges(net)
    settings = AccelSettings(device="cpu", int8=True, tolerance=TOLERANCE)
    module, report = accelerate(
        net,
        _inputs(1, 10),
        settings,
        to_probability=lambda t: t.softmax(-1),
        check_inputs=[_inputs(3, 11)],
        int8_ranges=ranges,
        weights_sha256=SHA.upper(),  # hashes compare case-insensitively
    )
    assert report.applied == ["onnx", "int8"]
    assert report.int8_ranges == "tiny-int8-test"
    assert report.as_dict()["int8_ranges"] == "tiny-int8-test"
    other = _inputs(16, 99)  # neither the calibration nor the check inputs
    diff = float((_p(module, other) - _p(net, other)).abs().max())
    assert 0 < diff < TOLERANCE  # not bit-identical: it really runs int8 kernels


def test_the_quantised_graph_has_int8_convolutions_and_a_float_front_end() -> None:
    import onnx

    net = _net()
    ranges = _ranges(net)
    model, _ = accel.export_onnx_bytes(net, _inputs(1, 0), (0,))
    quantized = onnx.load_from_string(accel_int8.quantize(accel_int8.prepare(model), ranges))
    ops = [n.op_type for n in quantized.graph.node]
    assert "QuantizeLinear" in ops and "DequantizeLinear" in ops
    front = next(n for n in quantized.graph.node if n.name == ranges.exclude_nodes[0])
    producers = {o: n.op_type for n in quantized.graph.node for o in n.output}
    assert producers.get(front.input[1]) != "DequantizeLinear"  # its weights stay FP32


def test_ranges_for_other_weights_fall_back_with_a_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    net = _net()
    ranges = _ranges(net, sha="cd" * 32)
    x = _inputs(2, 10)
    with caplog.at_level(logging.WARNING, logger="dd_inference.accel"):
        module, report = accelerate(
            net,
            x,
            AccelSettings(device="cpu", int8=True, onnx=True),
            int8_ranges=ranges,
            weights_sha256=SHA,
        )
    assert report.applied == ["onnx"]  # FP32 ONNX Runtime still applies
    assert report.int8_ranges is None
    assert "measured for weights" in report.fallbacks["int8"]
    assert any("int8 not used" in r.getMessage() for r in caplog.records)
    assert float((_p(module, x) - _p(net, x)).abs().max()) < 1e-5


def test_without_onnx_a_refused_int8_leaves_eager_fp32() -> None:
    net = _net()
    x = _inputs(2, 10)
    module, report = accelerate(
        net, x, AccelSettings(device="cpu", int8=True), int8_ranges=None, weights_sha256=SHA
    )
    assert report.applied == [] and "no activation-ranges file" in report.fallbacks["int8"]
    assert torch.equal(_p(module, x), _p(net, x))


def test_ranges_for_another_graph_are_refused() -> None:
    net = _net()
    ranges = _ranges(net)
    partial = Int8Ranges(ranges.version, SHA, dict(list(ranges.tensors.items())[:2]),
                         exclude_nodes=ranges.exclude_nodes)  # fmt: skip
    _, report = accelerate(
        net, _inputs(1, 3), AccelSettings(device="cpu", int8=True),
        int8_ranges=partial, weights_sha256=SHA,
    )  # fmt: skip
    assert "do not cover" in report.fallbacks["int8"]


def test_the_check_inputs_catch_ranges_that_do_not_fit_the_signal() -> None:
    """Ranges measured on near-silence pass a near-silent example but clip real signal:
    the extra check inputs are what refuse them (compared on the raw logits: the tiny
    net's softmax sits near 0.5 whatever the input)."""
    net = _net()
    quiet = _ranges(net, scale=1e-3)
    settings = AccelSettings(device="cpu", int8=True, tolerance=TOLERANCE)
    silence = _inputs(1, 10, 1e-3)
    _, silent_only = accelerate(net, silence, settings, int8_ranges=quiet, weights_sha256=SHA)
    assert "int8" in silent_only.applied
    _, checked = accelerate(
        net,
        silence,
        settings,
        check_inputs=[_inputs(4, 11, 3.0)],
        int8_ranges=quiet,
        weights_sha256=SHA,
    )
    assert "int8" not in checked.applied and "output moved" in checked.fallbacks["int8"]


def test_unavailable_onnxruntime_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accel, "onnxruntime_importable", lambda: False)
    net = _net()
    _, report = accelerate(net, _inputs(1, 1), AccelSettings(device="cpu", int8=True),
                           int8_ranges=_ranges(net), weights_sha256=SHA)  # fmt: skip
    assert report.applied == [] and "not installed" in report.fallbacks["int8"]


def test_ranges_file_round_trip_and_refusals(tmp_path: Path) -> None:
    ranges = Int8Ranges("v1", SHA, {"a": (-1.0, 2.0)}, exclude_nodes=("/f/Conv",),
                        provenance={"windows": 3})  # fmt: skip
    path = tmp_path / "r.json"
    ranges.save(path)
    assert Int8Ranges.load(path) == ranges
    ranges.require_weights(SHA)
    with pytest.raises(RangesRefused, match="measured for weights"):
        ranges.require_weights("00" * 32)
    with pytest.raises(RangesRefused, match="unknown"):
        ranges.require_weights(None)
    path.write_text('{"format": "something-else"}')
    with pytest.raises(RangesRefused, match="not a"):
        Int8Ranges.load(path)
    bad = ranges.to_dict() | {"tensors": {"a": [2.0, -1.0]}}
    with pytest.raises(RangesRefused, match="not ordered"):
        Int8Ranges.from_dict(bad)
    with pytest.raises(RangesRefused, match="cannot read"):
        Int8Ranges.load(tmp_path / "missing.json")
