"""Static int8 quantisation of an exported ONNX graph, from a committed file of ranges.

ONNX Runtime's static quantisation needs the range (min, max) of every activation it
quantises. Measuring them needs representative media, which a service in production does
not have (it ships weights only). So the ranges are measured once, offline, by a script
(for AASIST: ``scripts/aasist_int8_ranges.py``, from the evaluation corpus' calibration
split) and committed as a small JSON file (an ``Int8Ranges``); at load the service
quantises its freshly exported FP32 graph with them through ONNX Runtime's own path:
``quantize_static(..., calibration_cache_path=...)`` with the ranges written in ORT's
calibration-cache format, so no calibration data is read or run at start-up.

The file records everything that decides the quantised graph: the ranges per tensor
name, the operator types quantised, the nodes left in FP32 and the weight file's SHA-256.
A file for other weights is refused (``RangesRefused``), as is one whose tensor names do
not cover the graph being quantised (another exporter, another network variant): the
caller then falls back to FP32 with a log line.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

RANGES_FORMAT = "dd-int8-ranges/1"


class RangesRefused(ValueError):
    """The ranges file cannot be used for this graph or these weights (the reason says why)."""


@dataclass(frozen=True)
class Int8Ranges:
    """Activation ranges and the quantisation recipe for one network's weights.

    Activations are asymmetric uint8, weights symmetric int8 per output channel (the
    combination ONNX Runtime's x86 kernels with VNNI run fastest), in QDQ format.
    """

    version: str
    weights_sha256: str
    tensors: Mapping[str, tuple[float, float]]
    op_types: tuple[str, ...] = ("Conv",)
    exclude_nodes: tuple[str, ...] = ()
    per_channel: bool = True
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": RANGES_FORMAT,
            "version": self.version,
            "weights_sha256": self.weights_sha256,
            "op_types": list(self.op_types),
            "exclude_nodes": list(self.exclude_nodes),
            "per_channel": self.per_channel,
            "provenance": dict(self.provenance),
            "tensors": {k: [float(lo), float(hi)] for k, (lo, hi) in sorted(self.tensors.items())},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Int8Ranges:
        if data.get("format") != RANGES_FORMAT:
            raise RangesRefused(f"not a {RANGES_FORMAT} file (format {data.get('format')!r})")
        try:
            tensors = {str(k): (float(v[0]), float(v[1])) for k, v in data["tensors"].items()}
            ranges = cls(
                version=str(data["version"]),
                weights_sha256=str(data["weights_sha256"]).lower(),
                tensors=tensors,
                op_types=tuple(str(t) for t in data.get("op_types", ("Conv",))),
                exclude_nodes=tuple(str(n) for n in data.get("exclude_nodes", ())),
                per_channel=bool(data.get("per_channel", True)),
                provenance=dict(data.get("provenance", {})),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise RangesRefused(f"broken ranges file: {exc!r}") from exc
        bad = [k for k, (lo, hi) in tensors.items() if not (math.isfinite(lo + hi) and lo <= hi)]
        if bad:
            raise RangesRefused(f"ranges that are not finite or not ordered: {bad[:3]}")
        return ranges

    @classmethod
    def load(cls, path: Path) -> Int8Ranges:
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise RangesRefused(f"cannot read {path}: {exc!r}") from exc
        return cls.from_dict(data)

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1) + "\n")

    def require_weights(self, weights_sha256: str | None) -> None:
        """Refuse the file unless it was measured on exactly these weights."""
        if weights_sha256 is None:
            raise RangesRefused("the weights' SHA-256 is unknown, so the ranges cannot be matched")
        if weights_sha256.lower() != self.weights_sha256:
            raise RangesRefused(
                f"ranges {self.version} were measured for weights {self.weights_sha256[:12]}…, "
                f"these are {weights_sha256.lower()[:12]}…"
            )


# ----------------------------------------------------------------------------- graph work


def prepare(model: bytes) -> bytes:
    """ONNX Runtime's recommended pre-processing (shape inference, graph folding) before
    quantisation; ranges are measured and applied on this graph's tensor names."""
    from onnxruntime.quantization.shape_inference import quant_pre_process

    with tempfile.TemporaryDirectory(prefix="dd-int8-") as tmp:
        src, dst = Path(tmp) / "fp32.onnx", Path(tmp) / "prepared.onnx"
        src.write_bytes(model)
        quant_pre_process(str(src), str(dst))
        return dst.read_bytes()


def tensors_to_quantize(model: bytes, op_types: Iterable[str], exclude: Iterable[str]) -> set[str]:
    """The activations ``quantize_static`` needs a range for: every non-constant input and
    every output of the nodes of ``op_types`` that are not excluded."""
    import onnx

    graph = onnx.load_from_string(model).graph
    constants = {i.name for i in graph.initializer}
    constants |= {o for n in graph.node if n.op_type == "Constant" for o in n.output}
    kinds, skipped = set(op_types), set(exclude)
    names: set[str] = set()
    for node in graph.node:
        if node.op_type in kinds and node.name not in skipped:
            names.update(x for x in node.input if x and x not in constants)
            names.update(x for x in node.output if x)
    return names


def node_names(model: bytes, op_type: str) -> list[str]:
    import onnx

    return [n.name for n in onnx.load_from_string(model).graph.node if n.op_type == op_type]


def collect_ranges(
    prepared: bytes,
    batches: Iterable[np.ndarray],
    op_types: Iterable[str] = ("Conv",),
    input_name: str = "x",
) -> dict[str, tuple[float, float]]:
    """Min and max of every activation the quantiser needs, over ``batches`` (ONNX
    Runtime's MinMax calibrator on the FP32 graph; inputs are float32 arrays)."""
    from onnxruntime.quantization.calibrate import CalibrationMethod, create_calibrator

    class Reader:
        def __init__(self, batch: np.ndarray) -> None:
            self.batch: np.ndarray | None = batch

        def get_next(self) -> dict[str, np.ndarray] | None:
            batch, self.batch = self.batch, None
            if batch is None:
                return None
            return {input_name: np.ascontiguousarray(batch, dtype=np.float32)}

    with tempfile.TemporaryDirectory(prefix="dd-int8-") as tmp:
        src = Path(tmp) / "prepared.onnx"
        src.write_bytes(prepared)
        calibrator = create_calibrator(
            src,
            list(op_types),
            augmented_model_path=str(Path(tmp) / "augmented.onnx"),
            calibrate_method=CalibrationMethod.MinMax,
        )
        # One batch per collect_data call: each call merges its min/max into the running
        # range and drops the intermediate outputs (keeping those of a thousand 4 s
        # windows takes tens of GB; ORT's max_intermediate_outputs drops them unmerged).
        for batch in batches:
            calibrator.collect_data(Reader(batch))  # type: ignore[arg-type]
        data = calibrator.compute_data()
    return {
        name: (float(np.ravel(t.range_value[0])[0]), float(np.ravel(t.range_value[1])[0]))
        for name, t in data.data.items()
    }


def quantize(prepared: bytes, ranges: Int8Ranges) -> bytes:
    """``prepared`` (see ``prepare``) quantised with ``ranges``: QDQ, uint8 activations,
    int8 weights. Raises ``RangesRefused`` if a needed tensor has no range."""
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.calibrate import (
        CalibrationMethod,
        TensorsData,
        save_tensors_data,
    )

    needed = tensors_to_quantize(prepared, ranges.op_types, ranges.exclude_nodes)
    missing = sorted(needed - set(ranges.tensors))
    if missing:
        raise RangesRefused(
            f"ranges {ranges.version} do not cover {len(missing)} tensors of this graph "
            f"(e.g. {missing[0]!r}): measured on another graph"
        )
    unknown = sorted(set(ranges.exclude_nodes) - set(_all_node_names(prepared)))
    if unknown:
        raise RangesRefused(f"nodes to keep in FP32 are not in this graph: {unknown[:3]}")
    data = TensorsData(
        CalibrationMethod.MinMax,
        {
            name: (np.float32(lo), np.float32(hi))
            for name, (lo, hi) in ranges.tensors.items()
            if name in needed
        },
    )
    with tempfile.TemporaryDirectory(prefix="dd-int8-") as tmp:
        src, dst, cache = (Path(tmp) / n for n in ("prepared.onnx", "int8.onnx", "ranges.json"))
        src.write_bytes(prepared)
        save_tensors_data(data, cache)
        quantize_static(
            str(src),
            str(dst),
            calibration_data_reader=None,  # the ranges come from the cache: nothing is run
            calibration_cache_path=str(cache),
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=list(ranges.op_types),
            per_channel=ranges.per_channel,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=list(ranges.exclude_nodes),
        )
        return dst.read_bytes()


def _all_node_names(model: bytes) -> list[str]:
    import onnx

    return [n.name for n in onnx.load_from_string(model).graph.node]
