"""Only the dependency lists are computed here: dd-contracts (and dd-eval for the `eval`
extra) are not on PyPI, so inside the repository they are direct references to the
checkout's libs/, which makes `pip install ./clients/python` work on its own in a fresh
venv."""

from pathlib import Path

from setuptools import setup

BASE = ["httpx>=0.27,<1", "pydantic>=2.6,<3", "click>=8.1,<9"]
LIBS = Path(__file__).resolve().parents[2] / "libs"


def in_repo(name: str, folder: str, extras: str = "") -> str:
    """A direct reference to the checkout's copy when there is one, else the name."""
    source = LIBS / folder
    if (source / "pyproject.toml").is_file():
        return f"{name}{extras} @ {source.as_uri()}"
    return f"{name}{extras}"


setup(
    install_requires=[*BASE, in_repo("dd-contracts", "contracts")],
    # `pip install "./clients/python[eval]"`: adds `dfd evaluate` and `dfd calibrate`
    # (dd-eval registers them in the `dfd.commands` entry-point group; ML packages).
    extras_require={"eval": [in_repo("dd-eval", "evaluation", "[eval]")]},
)
