"""MesoNet face-forgery classifiers (Afchar et al., WIFS 2018, arXiv 1809.00888).

The builders follow the layer order of the authors' Keras 2 code (DariusAf/MesoNet,
classifiers.py) so their HDF5 weights fit. The weights are read with our own loader rather
than ``model.load_weights``: Keras matches legacy HDF5 layers by position, and in
MesoInception-4 several branches have identical shapes (e.g. the 1x1 convolutions of the
3x3 and dilated branches), so a different layer order would load *silently* wrong. We map
each HDF5 layer to ours by its kind and creation index instead and check every array.

Input: RGB uint8 face crops, 256x256x3. The network's sigmoid is P(real); we report
P(fake) = 1 - P(real).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from dd_contracts import ModelInfo, WeightsState
from dd_inference import Detector, DetectorContext, DetectorKind, NoOptions, WeightFile
from dd_inference.registry import REGISTRY, Registration
from dd_inference.runtime import configure_tensorflow

INPUT_SIZE = 256
UPSTREAM_COMMIT = "2144d56"  # DariusAf/MesoNet commit the weights are pinned to

# Layers that carry weights, and the Keras 3 variable names their HDF5 arrays map to.
_WEIGHTED_KINDS = ("conv2d", "batch_normalization", "dense")


@dataclass(frozen=True)
class MesoNetSpec:
    """One published MesoNet weight file. ``name`` is its entry in models/manifest.json,
    which says where the file lies; ``default_path`` is used only without a manifest."""

    name: str
    arch: str  # 'meso4' or 'mesoinception4'
    default_path: str
    trained_on: str


# The four published weight files; each is registered below as a face classifier.
MESONET_SPECS: dict[str, MesoNetSpec] = {
    spec.name: spec
    for spec in (
        MesoNetSpec("mesonet-meso4-df", "meso4", "mesonet/Meso4_DF.h5", "Deepfake"),
        MesoNetSpec("mesonet-meso4-f2f", "meso4", "mesonet/Meso4_F2F.h5", "Face2Face"),
        MesoNetSpec(
            "mesonet-mesoinception-df", "mesoinception4", "mesonet/MesoInception_DF.h5", "Deepfake"
        ),
        MesoNetSpec(
            "mesonet-mesoinception-f2f",
            "mesoinception4",
            "mesonet/MesoInception_F2F.h5",
            "Face2Face",
        ),
    )
}


class _Namer:
    """Names weighted layers '<kind>_<n>' in creation order, as Keras 2 numbered them."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}

    def __call__(self, kind: str) -> str:
        self._counts[kind] = self._counts.get(kind, 0) + 1
        return f"{kind}_{self._counts[kind]}"


def _conv(
    layers: Any, name: Callable[[str], str], filters: int, size: int, dilation: int = 1
) -> Any:
    return layers.Conv2D(
        filters,
        (size, size),
        dilation_rate=dilation,
        padding="same",
        activation="relu",
        name=name("conv2d"),
    )


def _head(layers: Any, name: Callable[[str], str], x: Any) -> Any:
    y = layers.Flatten()(x)
    y = layers.Dropout(0.5)(y)
    y = layers.Dense(16, name=name("dense"))(y)
    y = layers.LeakyReLU(negative_slope=0.1)(y)
    y = layers.Dropout(0.5)(y)
    return layers.Dense(1, activation="sigmoid", name=name("dense"))(y)


def _block(layers: Any, name: Callable[[str], str], x: Any, pool: int) -> Any:
    x = layers.BatchNormalization(name=name("batch_normalization"))(x)
    return layers.MaxPooling2D(pool_size=(pool, pool), padding="same")(x)


def build_meso4() -> Any:
    """Meso-4: four conv blocks (8@3x3, 8@5x5, 16@5x5, 16@5x5) and a small dense head."""
    import keras
    from keras import layers

    name = _Namer()
    inp = keras.Input(shape=(INPUT_SIZE, INPUT_SIZE, 3))
    x = inp
    for filters, size, pool in ((8, 3, 2), (8, 5, 2), (16, 5, 2), (16, 5, 4)):
        x = _conv(layers, name, filters, size)(x)
        x = _block(layers, name, x, pool)
    return keras.Model(inp, _head(layers, name, x), name="meso4")


def _inception(layers: Any, name: Callable[[str], str], x: Any, a: int, b: int, c: int, d: int):
    # Creation order matters for the weight mapping: 1x1; 1x1->3x3; 1x1->3x3 d2; 1x1->3x3 d3.
    x1 = _conv(layers, name, a, 1)(x)
    x2 = _conv(layers, name, b, 1)(x)
    x2 = _conv(layers, name, b, 3)(x2)
    x3 = _conv(layers, name, c, 1)(x)
    x3 = _conv(layers, name, c, 3, dilation=2)(x3)
    x4 = _conv(layers, name, d, 1)(x)
    x4 = _conv(layers, name, d, 3, dilation=3)(x4)
    return layers.Concatenate(axis=-1)([x1, x2, x3, x4])


def build_mesoinception4() -> Any:
    """MesoInception-4: two inception blocks, two 16@5x5 conv blocks, the Meso-4 head."""
    import keras
    from keras import layers

    name = _Namer()
    inp = keras.Input(shape=(INPUT_SIZE, INPUT_SIZE, 3))
    x = _block(layers, name, _inception(layers, name, inp, 1, 4, 4, 2), 2)
    x = _block(layers, name, _inception(layers, name, x, 2, 4, 4, 2), 2)
    x = _block(layers, name, _conv(layers, name, 16, 5)(x), 2)
    x = _block(layers, name, _conv(layers, name, 16, 5)(x), 4)
    return keras.Model(inp, _head(layers, name, x), name="mesoinception4")


BUILDERS: dict[str, Callable[[], Any]] = {
    "meso4": build_meso4,
    "mesoinception4": build_mesoinception4,
}


def read_h5_weights(path: Path) -> dict[str, dict[str, np.ndarray]]:
    """The HDF5 file's arrays keyed by our layer name ('conv2d_3') and variable name
    ('kernel'). HDF5 layer names carry a session-wide counter ('conv2d_5' may be the first
    conv of Meso-4), so layers are renumbered by rank within their kind."""
    import h5py

    out: dict[str, dict[str, np.ndarray]] = {}
    with h5py.File(path, "r") as handle:
        group = handle.get("model_weights", handle)  # full-model saves nest the weights
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in group.attrs["layer_names"]]
        for kind in _WEIGHTED_KINDS:
            of_kind = [n for n in names if re.fullmatch(rf"{kind}_\d+", n)]
            of_kind.sort(key=lambda n: int(n.rsplit("_", 1)[1]))
            for rank, h5_name in enumerate(of_kind, start=1):
                layer_group = group[h5_name]
                arrays: dict[str, np.ndarray] = {}
                for weight_name in layer_group.attrs["weight_names"]:
                    key = weight_name.decode() if isinstance(weight_name, bytes) else weight_name
                    short = key.rsplit("/", 1)[-1].split(":")[0]
                    arrays[short] = np.asarray(layer_group[key])
                out[f"{kind}_{rank}"] = arrays
        matched = {n for n in names if re.fullmatch(r"(conv2d|batch_normalization|dense)_\d+", n)}
        unknown = [n for n in names if n not in matched and len(group[n].attrs["weight_names"])]
        if unknown:
            raise ValueError(f"{path.name}: unexpected weighted layers {unknown}")
    return out


def load_mesonet_weights(model: Any, path: Path) -> int:
    """Set every weighted layer of ``model`` from ``path``; return the arrays set.

    Raises ValueError on any missing, extra or mis-shaped array: nothing loads silently."""
    arrays = read_h5_weights(path)
    weighted = [layer for layer in model.layers if layer.weights]
    ours = {layer.name for layer in weighted}
    if ours != set(arrays):
        raise ValueError(
            f"{path.name}: layers differ: missing {sorted(ours - set(arrays))}, "
            f"extra {sorted(set(arrays) - ours)}"
        )
    count = 0
    for layer in weighted:
        source = arrays[layer.name]
        values = []
        for variable in layer.weights:
            short = variable.name.rsplit("/", 1)[-1].split(":")[0]
            if short not in source:
                raise ValueError(f"{path.name}: {layer.name} has no '{short}'")
            value = source[short]
            if tuple(value.shape) != tuple(variable.shape):
                raise ValueError(
                    f"{path.name}: {layer.name}/{short} is {value.shape}, model wants "
                    f"{tuple(variable.shape)}"
                )
            values.append(value)
        if len(values) != len(source):
            raise ValueError(f"{path.name}: {layer.name} has unused arrays")
        layer.set_weights(values)
        count += len(values)
    return count


def to_model_input(crops: Sequence[np.ndarray]) -> np.ndarray:
    """uint8 RGB crops -> float32 batch in [0, 1], 256x256 (resized if needed)."""
    batch = np.empty((len(crops), INPUT_SIZE, INPUT_SIZE, 3), dtype=np.float32)
    for i, crop in enumerate(crops):
        if crop.ndim != 3 or crop.shape[2] != 3:
            raise ValueError(f"expected an RGB HxWx3 crop, got shape {crop.shape}")
        if crop.shape[:2] != (INPUT_SIZE, INPUT_SIZE):
            crop = cv2.resize(crop, (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_AREA)
        batch[i] = crop
    batch *= 1.0 / 255.0  # the authors trained with ImageDataGenerator(rescale=1/255)
    return batch


def _import_triton_before_tensorflow() -> None:
    """CUDA builds of torch ship triton, and importing triton *after* tensorflow
    segfaults the process (their bundled LLVMs clash; seen with torch 2.14 + TF 2.21).
    torch imports triton lazily (torch._dynamo, e.g. via torchvision.ops, which MTCNN
    uses), so where triton is installed we import it first. CPU wheels of torch have no
    triton: then this does nothing."""
    if "tensorflow" in sys.modules or "triton" in sys.modules:
        return
    if importlib.util.find_spec("triton") is not None:
        import triton  # noqa: F401


class MesoNetDetector(Detector[np.ndarray, float]):
    """One MesoNet weight file: RGB uint8 face crops in, P(fake) out."""

    def __init__(self, models_dir: Path, name: str, threads: int = 1) -> None:
        super().__init__()
        if name not in MESONET_SPECS:
            raise ValueError(f"unknown MesoNet '{name}'; known: {sorted(MESONET_SPECS)}")
        self.spec = MESONET_SPECS[name]
        self.weight_file = WeightFile.named(Path(models_dir), name, self.spec.default_path)
        self.threads = threads
        self._model: Any = None
        self._forward: Any = None

    @property
    def info(self) -> ModelInfo:
        return ModelInfo(
            name=self.spec.name,
            version=f"{self.spec.arch}-{self.spec.trained_on.lower()}@{UPSTREAM_COMMIT}",
            sha256=self.weight_file.sha256(),
            weights=WeightsState.real if self.weight_file.exists() else WeightsState.missing,
            framework="tensorflow",
            task="face-forgery",
            output="fake_probability = 1 - sigmoid output (the network outputs P(real))",
        )

    def _load(self) -> None:
        path = self.weight_file.require()
        _import_triton_before_tensorflow()
        configure_tensorflow(self.threads)
        import tensorflow as tf

        model = BUILDERS[self.spec.arch]()
        load_mesonet_weights(model, path)
        self._model = model
        # A traced function with a fixed signature skips Keras' eager per-call overhead
        # (about 3x faster than an eager model(x) for one crop on 2 cores); never retraces.
        self._forward = tf.function(
            lambda x: model(x, training=False),
            input_signature=[tf.TensorSpec([None, INPUT_SIZE, INPUT_SIZE, 3], tf.float32)],
            reduce_retracing=True,
        )

    @property
    def model(self) -> Any:
        """The Keras model (after load())."""
        return self._model

    def warmup(self) -> None:
        self.load()
        self.predict_batch([np.zeros((INPUT_SIZE, INPUT_SIZE, 3), dtype=np.uint8)])

    def real_probabilities(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """The network's own output, P(real), one per crop."""
        out = self._forward(to_model_input(crops))
        return np.asarray(out, dtype=np.float64).reshape(-1)

    def _predict(self, inputs: Sequence[np.ndarray]) -> list[float]:
        p_real = self.real_probabilities(inputs)
        return [float(np.clip(1.0 - p, 0.0, 1.0)) for p in p_real]


def _register_members() -> None:
    for spec in MESONET_SPECS.values():

        def build(context: DetectorContext, _: NoOptions, name: str = spec.name) -> MesoNetDetector:
            return MesoNetDetector(context.models_dir, name, threads=context.threads)

        REGISTRY.add(
            Registration(
                name=spec.name.replace("-", "_"),
                kind=DetectorKind.face_classifier,
                factory=build,
                options=NoOptions,
                summary=f"MesoNet {spec.arch} trained on {spec.trained_on} (one weight file)",
            )
        )


_register_members()
