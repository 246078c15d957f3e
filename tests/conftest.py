"""Shared fixtures: where the repo, the models folder and the shared test media are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DD_SHARED_DIR", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """The models folder `make models` fills. Tests that need weights fail loudly (not
    skip) when it is empty: `make test` always runs `make models` first."""
    path = Path(os.environ.get("DD_MODELS_DIR", REPO / "models"))
    return path


@pytest.fixture(scope="session")
def shared_media() -> Path:
    media = SHARED / "media"
    assert media.is_dir(), f"shared test media not found at {media} (set DD_SHARED_DIR)"
    return media
