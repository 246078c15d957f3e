"""`pip install ./clients/python` into a fresh venv pulls no ML or server package: the
resolved dependency set is httpx, pydantic, click and dd-contracts (pure pydantic) with
their small dependencies, and `dfd` runs there.

Runs in CI with the rest (about 20-40 s: packages come from the configured index or
PyPI). The venv is made without its own pip (fast) and filled by this venv's pip via
`pip --python`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
FORBIDDEN = {
    "torch", "tensorflow", "tensorflow-cpu", "keras", "numpy", "scipy", "jax", "onnxruntime",
    "fastapi", "starlette", "uvicorn", "facenet-pytorch", "opencv-python", "av",
}  # fmt: skip
EXPECTED = {"deepfake-detective-client", "dd-contracts", "httpx", "pydantic", "click"}


def _run(*args: str | Path, timeout: float = 120) -> str:
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done.stdout


def test_client_installs_alone_without_ml_packages(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    pip = (sys.executable, "-m", "pip", "--python", python)
    _run(*pip, "install", "--quiet", "--disable-pip-version-check", REPO / "clients" / "python")
    listed = _run(*pip, "list", "--format=freeze", "--disable-pip-version-check")
    names = {line.split("==")[0].lower().replace("_", "-") for line in listed.split()}
    assert names & FORBIDDEN == set(), f"ML/server packages pulled in: {names & FORBIDDEN}"
    assert names >= EXPECTED, names
    assert len(names) <= 20, f"unexpectedly many packages: {sorted(names)}"
    assert "dfd, version" in _run(venv / "bin" / "dfd", "--version")
    # Importing the client and its CLI loads none of them either.
    probe = (
        "import sys, dfd, dfd.cli; "
        "heavy = {'torch', 'tensorflow', 'numpy', 'fastapi', 'uvicorn'} & set(sys.modules); "
        "print(sorted(heavy))"
    )
    assert _run(python, "-c", probe).strip() == "[]"
