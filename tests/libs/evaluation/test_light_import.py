"""The services read the calibration file through dd_eval.calibration: importing it (and
the services' side, dd_inference.calibrated) must not pull in the eval extra."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("matplotlib", "sklearn", "scipy", "click", "httpx", "tqdm", "torch", "tensorflow")


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys, json; {statement}; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return {name.split(".")[0] for name in json.loads(done.stdout)}


def test_calibration_module_needs_numpy_only() -> None:
    loaded = _loaded_after("import dd_eval.calibration, dd_eval.conditions")
    assert "numpy" in loaded
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_services_side_imports_the_file_reader_only_when_a_file_is_given() -> None:
    loaded = _loaded_after("import dd_inference.calibrated")
    assert "dd_eval" not in loaded and not loaded & set(HEAVY)
