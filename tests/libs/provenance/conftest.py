"""Fixtures for the provenance tests: one throw-away signing chain per session, and a
helper that writes bytes to a file and inspects it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from dd_provenance import ProvenanceSettings, inspect

from dd_contracts.provenance import ProvenanceReport
from tests.libs.provenance.media import SigningChain, make_chain

Inspect = Callable[..., ProvenanceReport]


@pytest.fixture(scope="session")
def chain() -> SigningChain:
    return make_chain()


@pytest.fixture
def trusting(chain: SigningChain) -> ProvenanceSettings:
    """Settings that trust the session's throw-away CA (as a deployment would its own)."""
    return ProvenanceSettings(trust_anchors_pem=chain.ca_pem)


@pytest.fixture
def inspect_bytes(tmp_path: Path) -> Inspect:
    counter = iter(range(10_000))

    def run(
        data: bytes,
        mime: str = "image/jpeg",
        kind: str = "image",
        settings: ProvenanceSettings | None = None,
    ) -> ProvenanceReport:
        suffix = {"image/jpeg": ".jpg", "image/png": ".png"}.get(mime, ".bin")
        path = tmp_path / f"media{next(counter)}{suffix}"
        path.write_bytes(data)
        return inspect(path, kind, mime, settings=settings or ProvenanceSettings())

    return run
