"""Accelerator layer for the torch detectors, and oneDNN/thread settings for TensorFlow.

One call, after the network is built and its weights loaded::

    from dd_inference.accel import accelerate

    net, report = accelerate(net, torch.zeros(1, 64_600), name="aasist")
    # net: a torch.nn.Module taking and returning CPU tensors, like the original
    # report.as_dict() -> goes into ModelInfo.accel (and so /v1/model)

Options (each an environment variable; a detector's benchmarked defaults apply otherwise):

    DD_ACCEL_DEVICE          auto | cpu | xpu   (auto: xpu when torch.xpu.is_available())
    DD_ACCEL_COMPILE         torch.compile (inductor)
    DD_ACCEL_CHANNELS_LAST   NHWC weights/inputs for 2-D convolutions
    DD_ACCEL_BF16            bf16 autocast; only where the CPU has AMX or AVX512-BF16
    DD_ACCEL_IPEX            intel_extension_for_pytorch.optimize, when importable
    DD_ACCEL_ONNX            export to ONNX and run with ONNX Runtime (replaces the others)
    DD_ACCEL_INT8            ONNX Runtime with static int8 convolutions, from the detector's
                             committed activation-ranges file (falls back to ``onnx``)
    DD_ACCEL_TOLERANCE       largest output difference an option may cause (default 0.01)

Every option is checked on the example input against the plain eager FP32 answer; one
that is unavailable (no XPU, no IPEX, no bf16 instructions, export fails) or that moves
the answer by more than the tolerance is dropped with a log line and recorded in the
report's ``fallbacks``. ``check_inputs`` adds inputs to that check beyond the example
(an all-zero example says nothing about int8 ranges). Which options win on which
detector is measured by bench/accel.py (bench/results/accel.json); ``DETECTOR_DEFAULTS``
holds the winners.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import importlib.util
import logging
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dd_inference.accel_int8 import Int8Ranges

log = logging.getLogger(__name__)

ENV_PREFIX = "DD_ACCEL_"
DEVICES = ("auto", "cpu", "xpu")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class AccelSettings:
    device: str = "auto"
    compile: bool = False
    channels_last: bool = False
    bf16: bool = False
    ipex: bool = False
    onnx: bool = False
    int8: bool = False
    tolerance: float = 0.01

    def __post_init__(self) -> None:
        if self.device not in DEVICES:
            raise ValueError(f"{ENV_PREFIX}DEVICE must be one of {DEVICES}, got {self.device!r}")

    @classmethod
    def from_env(
        cls, defaults: AccelSettings | None = None, env: Mapping[str, str] | None = None
    ) -> AccelSettings:
        """``defaults`` with every ``DD_ACCEL_*`` variable that is set applied on top."""
        env = os.environ if env is None else env
        base = defaults or cls()
        changes: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None:
                continue
            current = getattr(base, f.name)
            if isinstance(current, bool):
                changes[f.name] = _parse_bool(f.name, raw)
            elif isinstance(current, float):
                changes[f.name] = float(raw)
            else:
                changes[f.name] = raw.strip().lower()
        return replace(base, **changes)


def _parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{ENV_PREFIX}{name.upper()} must be true or false, got {raw!r}")


# What wins on this project's reference machine (2 cores, AVX512-BF16, no AMX, no GPU),
# measured by bench/accel.py (docs/deploy.md has the table). AASIST: ONNX Runtime ran
# 2.3-3.3x eager with probabilities equal to 1e-7; bf16 moved them by up to 0.025 (over the
# 0.01 limit once combined with channels-last) and torch.compile was not a steady win.
# MTCNN: channels-last 1.39x with identical boxes and no start-up cost (torch.compile and
# ONNX were no better, and compile recompiles for every new pyramid size).
# AASIST int8 (issue 14) is opt-in (DD_ACCEL_INT8=true): static int8 convolutions from
# the committed ranges file are ~1.6x FP32 ONNX Runtime per window here, but on the
# evaluation corpus' test split they moved P(fake) by up to 0.49 (99th percentile 0.23,
# 81 of 1020 windows over 0.01) and flipped 4 of 564 clip labels (0.19 on a shared LibriVox
# window); at load the noise probe moves by 0.05-0.08, so the 0.01 check refuses it unless
# DD_ACCEL_TOLERANCE is raised.
DETECTOR_DEFAULTS: dict[str, AccelSettings] = {
    "aasist": AccelSettings(onnx=True),
    "mtcnn": AccelSettings(channels_last=True),
}


def settings_for(name: str | None, env: Mapping[str, str] | None = None) -> AccelSettings:
    """The settings a detector runs with: its defaults, then the environment."""
    return AccelSettings.from_env(DETECTOR_DEFAULTS.get(name or "", AccelSettings()), env)


@dataclass
class AccelReport:
    """What ``accelerate`` did; ``as_dict()`` is the ``accel`` entry of ModelInfo."""

    device: str = "cpu"
    applied: list[str] = field(default_factory=list)
    fallbacks: dict[str, str] = field(default_factory=dict)
    max_abs_diff: float = 0.0
    requested: dict[str, object] = field(default_factory=dict)
    # The activation-ranges file's version when "int8" is applied (None otherwise).
    int8_ranges: str | None = None

    def fall_back(self, option: str, reason: str) -> None:
        self.fallbacks[option] = reason
        log.warning("accel: %s not used: %s", option, reason)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


# ----------------------------------------------------------------------------- probes


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    try:
        text = cpuinfo.read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def cpu_has_bf16(flags: set[str] | None = None) -> bool:
    """AMX (amx_bf16) or AVX512-BF16: without either, bf16 is emulated and slower."""
    flags = cpu_flags() if flags is None else flags
    return bool({"amx_bf16", "avx512_bf16"} & flags)


def xpu_available() -> bool:
    import torch

    xpu = getattr(torch, "xpu", None)
    try:
        return bool(xpu is not None and xpu.is_available())
    except Exception:  # a broken driver stack must not stop the service
        return False


def ipex_importable() -> bool:
    return importlib.util.find_spec("intel_extension_for_pytorch") is not None


def onnxruntime_importable() -> bool:
    return importlib.util.find_spec("onnxruntime") is not None


# ----------------------------------------------------------------------------- wrappers


def _flatten(output: Any) -> list[Any]:
    import torch

    if isinstance(output, torch.Tensor):
        return [output]
    if isinstance(output, Sequence):
        return [t for item in output for t in _flatten(item)]
    raise TypeError(f"unsupported model output {type(output).__name__}")


def _map_tensors(output: Any, fn: Callable[[Any], Any]) -> Any:
    import torch

    if isinstance(output, torch.Tensor):
        return fn(output)
    if isinstance(output, tuple):
        return tuple(_map_tensors(o, fn) for o in output)
    if isinstance(output, list):
        return [_map_tensors(o, fn) for o in output]
    return output


@functools.cache
def _wrappers() -> tuple[type, type]:
    """The torch.nn.Module wrappers, built on first use so that importing this module
    never imports torch (the TensorFlow-only paths use it too)."""
    from torch import nn

    class Runner(nn.Module):
        """Puts inputs where the network wants them (device, layout, autocast) and hands
        back float32 CPU tensors, so callers never see the difference."""

        def __init__(self, inner: Any, device: str, channels_last: bool, bf16: bool) -> None:
            super().__init__()
            self.inner = inner
            self.device = device
            self.channels_last = channels_last
            self.bf16 = bf16

        def forward(self, *inputs: Any) -> Any:
            import torch

            moved = []
            for x in inputs:
                if isinstance(x, torch.Tensor):
                    if self.device != "cpu":
                        x = x.to(self.device)
                    if self.channels_last and x.dim() == 4:
                        x = x.contiguous(memory_format=torch.channels_last)
                moved.append(x)
            context = (
                torch.autocast(device_type=self.device, dtype=torch.bfloat16)
                if self.bf16
                else contextlib.nullcontext()
            )
            with context:
                out = self.inner(*moved)
            return _map_tensors(out, lambda t: t.float().cpu().contiguous())

    class OnnxRunner(nn.Module):
        """An ONNX Runtime session behind a torch.nn.Module's call signature."""

        def __init__(self, session: Any, n_outputs: int, eager: Any) -> None:
            super().__init__()
            self.session = session
            self.input_names = [i.name for i in session.get_inputs()]
            self.n_outputs = n_outputs
            self.eager = eager  # for empty batches, which ONNX Runtime's kernels mishandle

        def forward(self, *inputs: Any) -> Any:
            import numpy as np
            import torch

            if any(x.shape[0] == 0 for x in inputs):
                with torch.inference_mode():
                    return self.eager(*inputs)

            feed = {
                name: np.ascontiguousarray(x.detach().cpu().numpy(), dtype=np.float32)
                for name, x in zip(self.input_names, inputs, strict=True)
            }
            outs = [torch.from_numpy(o) for o in self.session.run(None, feed)]
            return outs[0] if self.n_outputs == 1 else tuple(outs)

    return Runner, OnnxRunner


def make_runner(inner: Any, device: str, channels_last: bool, bf16: bool) -> Any:
    runner_cls, _ = _wrappers()
    return runner_cls(inner, device, channels_last, bf16).eval()


def export_onnx(
    module: Any, example: Any, dynamic_dims: Sequence[int], threads: int | None = None
) -> Any:
    """``module`` exported to ONNX (TorchScript exporter, opset 17) and loaded into an
    ONNX Runtime CPU session with ``threads`` intra-op threads."""
    model, n_outputs = export_onnx_bytes(module, example, dynamic_dims)
    return onnx_runner(model, n_outputs, module, threads)


def export_onnx_bytes(module: Any, example: Any, dynamic_dims: Sequence[int]) -> tuple[bytes, int]:
    """The serialised ONNX graph of ``module`` (input ``x``, outputs ``out0``...) and its
    number of outputs."""
    import torch

    with torch.inference_mode():
        n_outputs = len(_flatten(module(example)))
    output_names = [f"out{i}" for i in range(n_outputs)]
    axes = {"x": {d: f"d{d}" for d in dynamic_dims}}
    axes.update({name: {0: "d0"} for name in output_names})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.onnx"
        with torch.no_grad(), warnings_quiet():
            torch.onnx.export(
                module,
                (example,),
                str(path),
                input_names=["x"],
                output_names=output_names,
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        return path.read_bytes(), n_outputs


def onnx_runner(model: bytes, n_outputs: int, eager: Any, threads: int | None = None) -> Any:
    """An ONNX Runtime CPU session of ``model`` behind ``eager``'s call signature."""
    import onnxruntime as ort
    import torch

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or torch.get_num_threads()
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    _, onnx_runner_cls = _wrappers()
    return onnx_runner_cls(session, n_outputs, eager).eval()


@contextlib.contextmanager
def warnings_quiet() -> Any:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# ----------------------------------------------------------------------------- accelerate


def _max_diff(reference: Any, candidate: Any, to_probability: Callable[[Any], Any]) -> float:
    diffs = [
        float((to_probability(a.float()) - to_probability(b.float())).abs().max())
        for a, b in zip(_flatten(reference), _flatten(candidate), strict=True)
    ]
    return max(diffs, default=0.0)


def accelerate(
    module: Any,
    example: Any,
    settings: AccelSettings | None = None,
    *,
    name: str | None = None,
    to_probability: Callable[[Any], Any] | None = None,
    dynamic_dims: Sequence[int] = (0,),
    check_inputs: Sequence[Any] = (),
    int8_ranges: Path | Int8Ranges | None = None,
    weights_sha256: str | None = None,
) -> tuple[Any, AccelReport]:
    """``module`` (eval mode, weights loaded) made fast as ``settings`` asks.

    Args:
        module: a torch.nn.Module taking one tensor (outputs: a tensor or tuple of them).
        example: a representative input (CPU tensor); used for the accuracy check, the
            ONNX export and to trigger compilation before the first request.
        settings: default ``settings_for(name)`` (the detector's defaults + environment).
        name: the detector's name, for its defaults and the log lines.
        to_probability: maps an output tensor to what the tolerance is measured on (e.g.
            ``lambda t: t.softmax(-1)`` for logits); default: the raw outputs.
        dynamic_dims: input dimensions that vary between calls (ONNX export).
        check_inputs: more inputs every option is checked on (with ``example``).
        int8_ranges: the detector's activation-ranges file (``accel_int8.Int8Ranges``)
            for the ``int8`` option; without it ``int8`` falls back.
        weights_sha256: the loaded weights' hash; a ranges file for others is refused.

    Returns the module to call and what was done. The original ``module`` is not changed.
    """
    import torch

    settings = settings or settings_for(name)
    to_probability = to_probability or (lambda t: t)
    report = AccelReport(requested=asdict(settings))
    module = module.eval()
    probes = [example, *check_inputs]
    with torch.inference_mode():
        references = [module(x) for x in probes]

    device = settings.device
    if device == "auto":
        device = "xpu" if xpu_available() else "cpu"
    elif device == "xpu" and not xpu_available():
        report.fall_back("xpu", "torch.xpu.is_available() is False; running on the CPU")
        device = "cpu"
    report.device = device

    def check(option: str, candidate: Any) -> bool:
        try:
            with torch.inference_mode():
                diff = max(
                    _max_diff(ref, candidate(x), to_probability)
                    for ref, x in zip(references, probes, strict=True)
                )
        except Exception as exc:
            report.fall_back(option, f"failed on the example input: {exc!r}"[:300])
            return False
        if not diff <= settings.tolerance:  # also refuses NaN
            report.fall_back(option, f"output moved by {diff:.4g} > {settings.tolerance}")
            return False
        report.max_abs_diff = max(report.max_abs_diff, diff)
        report.applied.append(option)
        return True

    net = copy.deepcopy(module)
    if device != "cpu":
        net = net.to(device)
    state = {"channels_last": False, "bf16": False}

    def runner(inner: Any) -> Any:
        return make_runner(inner, device, state["channels_last"], state["bf16"])

    current = runner(net)

    if settings.onnx or settings.int8:
        wanted = "onnx" if settings.onnx else "int8"
        if device != "cpu":
            report.fall_back(wanted, f"ONNX Runtime's CPU provider does not run on {device}")
        elif not onnxruntime_importable():
            report.fall_back(wanted, "onnxruntime is not installed")
        else:
            try:
                exported = export_onnx_bytes(module, example, dynamic_dims)
            except Exception as exc:
                report.fall_back(wanted, f"export failed: {exc!r}"[:300])
            else:
                candidate = None
                if settings.int8:
                    candidate = _int8_candidate(
                        exported, module, int8_ranges, weights_sha256, report, check
                    )
                if candidate is None and settings.onnx:
                    fp32 = onnx_runner(*exported, module)
                    if check("onnx", fp32):
                        candidate = fp32
                if candidate is not None:
                    for other in ("compile", "channels_last", "bf16", "ipex"):
                        if getattr(settings, other):
                            report.fall_back(other, "replaced by onnx")
                    _log_applied(name, report)
                    return candidate, report

    if settings.ipex:
        if not ipex_importable():
            report.fall_back("ipex", "intel_extension_for_pytorch is not importable")
        else:
            try:
                import intel_extension_for_pytorch as ipex

                dtype = torch.bfloat16 if settings.bf16 and cpu_has_bf16() else torch.float32
                optimized = ipex.optimize(copy.deepcopy(net), dtype=dtype)
            except Exception as exc:
                report.fall_back("ipex", f"optimize failed: {exc!r}"[:300])
            else:
                if check("ipex", runner(optimized)):
                    net = optimized

    if settings.channels_last:
        laid_out = copy.deepcopy(net).to(memory_format=torch.channels_last)
        state["channels_last"] = True
        if check("channels_last", runner(laid_out)):
            net = laid_out
        else:
            state["channels_last"] = False

    if settings.bf16:
        if device == "cpu" and not cpu_has_bf16():
            report.fall_back("bf16", "the CPU has neither AMX nor AVX512-BF16")
        else:
            state["bf16"] = True
            if not check("bf16", runner(net)):
                state["bf16"] = False

    current = runner(net)
    if settings.compile:
        try:
            compiled = torch.compile(net)
        except Exception as exc:
            report.fall_back("compile", f"torch.compile failed: {exc!r}"[:300])
        else:
            candidate = runner(compiled)
            if check("compile", candidate):
                current = candidate

    _log_applied(name, report)
    return current, report


def _int8_candidate(
    exported: tuple[bytes, int],
    module: Any,
    ranges: Path | Int8Ranges | None,
    weights_sha256: str | None,
    report: AccelReport,
    check: Callable[[str, Any], bool],
) -> Any | None:
    """The int8 ONNX Runtime module if the ranges fit these weights and this graph and the
    answer stays within the tolerance; otherwise None, with the reason in ``report``."""
    from dd_inference import accel_int8
    from dd_inference.accel_int8 import Int8Ranges

    if ranges is None:
        report.fall_back("int8", "this detector has no activation-ranges file")
        return None
    try:
        loaded = ranges if isinstance(ranges, Int8Ranges) else Int8Ranges.load(ranges)
        loaded.require_weights(weights_sha256)
        quantized = accel_int8.quantize(accel_int8.prepare(exported[0]), loaded)
        candidate = onnx_runner(quantized, exported[1], module)
    except accel_int8.RangesRefused as exc:
        report.fall_back("int8", str(exc))
        return None
    except Exception as exc:  # a quantiser or kernel failure must not stop the service
        report.fall_back("int8", f"quantisation failed: {exc!r}"[:300])
        return None
    if not check("int8", candidate):
        return None
    report.applied.insert(report.applied.index("int8"), "onnx")
    report.int8_ranges = loaded.version
    return candidate


def _log_applied(name: str | None, report: AccelReport) -> None:
    log.info(
        "accel: %s on %s with %s (max output change %.3g)",
        name or "model",
        report.device,
        ", ".join(report.applied) or "plain eager FP32",
        report.max_abs_diff,
    )


# ----------------------------------------------------------------------------- TensorFlow


@dataclass(frozen=True)
class TensorflowSettings:
    """oneDNN and threads for the TensorFlow detectors (MesoNet).

    ``onednn``: TF_ENABLE_ONEDNN_OPTS (oneDNN kernels; TF's default on x86). ``jit``: XLA
    compilation of the traced forward. ``threads``: intra-op threads (inter-op is 1: one
    request's graph has no independent branches worth a second pool).
    Environment: DD_TF_ONEDNN, DD_TF_JIT, DD_TF_THREADS.
    """

    onednn: bool = True
    jit: bool = False
    threads: int = 1

    @classmethod
    def from_env(
        cls, defaults: TensorflowSettings | None = None, env: Mapping[str, str] | None = None
    ) -> TensorflowSettings:
        env = os.environ if env is None else env
        base = defaults or cls()
        changes: dict[str, Any] = {}
        if "DD_TF_ONEDNN" in env:
            changes["onednn"] = _parse_bool("tf_onednn", env["DD_TF_ONEDNN"])
        if "DD_TF_JIT" in env:
            changes["jit"] = _parse_bool("tf_jit", env["DD_TF_JIT"])
        if "DD_TF_THREADS" in env:
            changes["threads"] = max(1, int(env["DD_TF_THREADS"]))
        return replace(base, **changes)


def tensorflow_env(settings: TensorflowSettings) -> dict[str, str]:
    """Variables TensorFlow reads once, when it is imported: set them before that
    (a process's own environment, or a container's)."""
    return {
        "TF_ENABLE_ONEDNN_OPTS": "1" if settings.onednn else "0",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "OMP_NUM_THREADS": str(settings.threads),
    }


def configure_tensorflow(settings: TensorflowSettings) -> dict[str, object]:
    """Apply ``settings`` to this process's TensorFlow and report what is in effect.

    oneDNN's switch is read at import: if TensorFlow is already imported with another
    value, the report says so instead of pretending."""
    import sys

    wanted = tensorflow_env(settings)
    already = "tensorflow" in sys.modules
    for key, value in wanted.items():
        if not already:
            os.environ.setdefault(key, value)
    import tensorflow as tf

    with contextlib.suppress(RuntimeError):  # refused once TF's runtime is initialised
        tf.config.threading.set_intra_op_parallelism_threads(settings.threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1") != "0"
    if onednn != settings.onednn:
        log.warning("accel: TF_ENABLE_ONEDNN_OPTS is %s (TensorFlow was imported first)", onednn)
    return {
        "tensorflow": tf.__version__,
        "onednn": onednn,
        "jit": settings.jit,
        "threads": tf.config.threading.get_intra_op_parallelism_threads() or settings.threads,
    }
