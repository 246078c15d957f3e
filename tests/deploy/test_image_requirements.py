"""Each image's Python requirements are exactly what its service imports.

The imports are found by walking the code's AST from the service's package through every
first-party module it reaches (and through packages installed --no-deps, whose own
imports pip will not bring). An import inside a function, or in a module reached only
that way, is *lazy*: it may be missing from an image only when OPTIONAL says why. Every
requirement must in turn be imported by something, or be listed in RUNTIME_ONLY with why.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.deploy.tools import REPO

# Which of our packages each image installs (docker/*.Dockerfile), its entry package and
# its requirements file.
_COMMON = ["libs/contracts", "libs/evaluation", "libs/inference", "libs/service_kit"]
IMAGES: dict[str, tuple[str, list[str], str]] = {
    "gateway": (
        "dd_gateway",
        [*_COMMON, "libs/mediaguard", "libs/provenance", "fusion", "gateway"],
        "image-gateway.txt",
    ),
    "fusion": ("dd_fusion", [*_COMMON, "fusion"], "image-fusion.txt"),
    "image": (
        "dd_image",
        [*_COMMON, "libs/mediaguard", "libs/face", "services/image"],
        "image-image.txt",
    ),
    "audio": ("dd_audio", [*_COMMON, "libs/mediaguard", "services/audio"], "image-audio.txt"),
    "video": (
        "dd_video",
        [*_COMMON, "libs/mediaguard", "libs/face", "services/video"],
        "image-video.txt",
    ),
}
NODEPS = {"image": ["facenet_pytorch"], "video": ["facenet_pytorch"]}

# Lazy imports an image may lack, and why.
OPTIONAL: dict[str, str] = {
    "intel-extension-for-pytorch": "dd_inference.accel uses IPEX when importable (ipex image)",
    "onnxruntime": "dd_inference.accel's DD_ACCEL_ONNX; falls back with a log line without it",
    "triton": "dd_face.mesonet imports it before TensorFlow only when installed (find_spec)",
    "tensorflow-cpu": "dd_inference's TensorFlow helpers run only in TensorFlow services",
    "keras": "the audio service's untrained seed CNN (AUDIO_CNN=false in images)",
    "torch": "dd_inference's torch helpers run only in torch services",
    "numpy": "dd_inference's accelerator wrappers run only in torch services",
    "onnx": "torch.onnx.export needs it only when DD_ACCEL_ONNX is on",
    "av": "dd_eval.conditions.probe (evaluation runs only); services call only band()",
}
# Requirements nothing imports by name, and why they are needed.
RUNTIME_ONLY: dict[str, str] = {
    "python-multipart": "FastAPI loads it for File/Form parameters",
    "psycopg": "SQLAlchemy loads the driver named by GATEWAY_DATABASE_URL",
    "onnx": "torch.onnx.export writes the graph with it (DD_ACCEL_ONNX)",
    "onnxruntime": "dd_inference.accel runs AASIST with it when DD_ACCEL_ONNX is on",
    "starlette": "FastAPI's base; pinned with it (also imported by the service kit)",
    "anyio": "FastAPI's event-loop layer; pinned with it",
}
DISTRIBUTION = {
    "PIL": "pillow", "cv2": "opencv-python-headless", "yaml": "pyyaml",
    "tensorflow": "tensorflow-cpu", "intel_extension_for_pytorch": "intel-extension-for-pytorch",
    "python_multipart": "python-multipart", "multipart": "python-multipart", "fpdf": "fpdf2",
    "c2pa": "c2pa-python",
}  # fmt: skip


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def distribution(top: str) -> str:
    return normalise(DISTRIBUTION.get(top, top))


def requirements(path: Path) -> set[str]:
    names: set[str] = set()
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-r "):
            names |= requirements(path.parent / line[3:].strip())
            continue
        names.add(normalise(re.split(r"[\[=<>!~; ]", line, maxsplit=1)[0]))
    return names


@dataclass
class Imports:
    eager: set[str] = field(default_factory=set)  # third-party top-level names
    lazy: set[str] = field(default_factory=set)
    missing_first_party: set[str] = field(default_factory=set)


def _module_files(roots: list[Path], only: str | None = None) -> dict[str, Path]:
    """Module name -> file, for every package under ``roots`` (or only package ``only``)."""
    files: dict[str, Path] = {}
    for root in roots:
        for path in (root / only if only else root).rglob("*.py"):
            rel = path.relative_to(root).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if parts:
                files[".".join(parts)] = path
    return files


def _imports_of(path: Path, module: str) -> list[tuple[str, bool]]:
    """(absolute module name, lazy) for every import in the file."""
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                found.extend((alias.name, lazy) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - (child.level - 1)]
                    target = ".".join([*base, *([child.module] if child.module else [])])
                else:
                    target = child.module or ""
                found.append((target, lazy))
                found.extend((f"{target}.{alias.name}", lazy) for alias in child.names)
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                continue  # typing-only imports never run
            visit(child, inner)

    visit(tree, False)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def site_packages() -> Path:
    import facenet_pytorch

    return Path(facenet_pytorch.__file__).resolve().parents[1]


def walk(entry: str, package_dirs: list[str], nodeps: list[str]) -> Imports:
    roots = [next(p for p in (REPO / d).iterdir() if p.is_dir() and p.name.startswith("dd_")).parent
             for d in package_dirs]  # fmt: skip
    files = _module_files(roots)
    if nodeps:
        site = site_packages()
        for top in nodeps:
            files.update(_module_files([site], only=top))
    first_party = {name.split(".")[0] for name in files}
    result = Imports()
    state: dict[str, bool] = {}  # module -> reached lazily only
    queue = [(name, False) for name in files if name == entry or name.startswith(entry + ".")]
    while queue:
        module, lazy = queue.pop()
        if module in state and (state[module] is False or lazy):
            continue
        state[module] = lazy
        for target, inner_lazy in _imports_of(files[module], module):
            top = target.split(".")[0]
            is_lazy = lazy or inner_lazy
            if top in first_party:
                if target in files:
                    queue.append((target, is_lazy))
                    # importing a.b.c runs a and a.b first
                    parts = target.split(".")
                    queue += [(".".join(parts[:i]), is_lazy) for i in range(1, len(parts))
                              if ".".join(parts[:i]) in files]  # fmt: skip
                elif target.rpartition(".")[0] not in files and not any(
                    name.startswith(target + ".") for name in files
                ):  # a name imported from a module, or a namespace package
                    result.missing_first_party.add(target)
            elif top.startswith("dd_"):
                result.missing_first_party.add(target)
            elif top and top not in sys.stdlib_module_names and top != "__future__":
                (result.lazy if is_lazy else result.eager).add(top)
    result.lazy -= result.eager
    return result


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_image_requirements_are_exactly_what_the_service_imports(image: str) -> None:
    if NODEPS.get(image):
        pytest.importorskip("facenet_pytorch", reason="the dev venv installs it (make venv)")
    entry, dirs, req_file = IMAGES[image]
    found = walk(entry, dirs, NODEPS.get(image, []))
    assert not found.missing_first_party, (
        f"{image}: imports our packages the image does not install: "
        f"{sorted(found.missing_first_party)}"
    )
    wanted = requirements(REPO / "requirements" / req_file)
    eager = {distribution(t) for t in found.eager}
    lazy = {distribution(t) for t in found.lazy}
    assert eager <= wanted, f"{image}: imported but not required: {sorted(eager - wanted)}"
    unexplained = lazy - wanted - set(OPTIONAL)
    assert not unexplained, f"{image}: lazily imported, not required: {sorted(unexplained)}"
    unused = wanted - eager - lazy - set(RUNTIME_ONLY)
    assert not unused, f"{image}: required but never imported: {sorted(unused)}"


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_dockerfiles_install_what_the_table_says(image: str) -> None:
    _, dirs, req_file = IMAGES[image]
    dockerfile = {"gateway": "gateway", "fusion": "fusion"}.get(image, "model")
    text = (REPO / "docker" / f"{dockerfile}.Dockerfile").read_text()
    for d in dirs:
        assert d.replace(f"services/{image}", "services/${SERVICE}") in text or d in text, d
    assert req_file in text or "image-${SERVICE}.txt" in text


def test_no_model_runtime_where_it_is_not_used() -> None:
    assert not requirements(REPO / "requirements" / "image-gateway.txt") & {
        "torch",
        "tensorflow-cpu",
    }
    assert not requirements(REPO / "requirements" / "image-fusion.txt") & {"torch", "numpy"}
    audio = requirements(REPO / "requirements" / "image-audio.txt")
    assert "torch" in audio and "tensorflow-cpu" not in audio and "keras" not in audio
    for image in ("image", "video"):
        assert {"torch", "tensorflow-cpu"} <= requirements(
            REPO / "requirements" / f"image-{image}.txt"
        )


def test_the_walk_finds_a_missing_requirement(tmp_path: Path) -> None:
    pkg = tmp_path / "svc" / "dd_demo"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("import numpy\nfrom . import helper\n")
    (pkg / "helper.py").write_text("def f():\n    import scipy\n")
    import tests.deploy.test_image_requirements as me

    saved = me.REPO
    me.REPO = tmp_path
    try:
        found = walk("dd_demo", ["svc"], [])
    finally:
        me.REPO = saved
    assert found.eager == {"numpy"} and found.lazy == {"scipy"}
