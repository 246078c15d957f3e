from __future__ import annotations

import pytest

from dd_inference import runtime


def test_preload_env_adds_tcmalloc_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "tcmalloc_path", lambda: "/lib/libtcmalloc_minimal.so.4")
    env = runtime.preload_env({"LD_PRELOAD": "/lib/other.so"})
    assert env["LD_PRELOAD"] == "/lib/libtcmalloc_minimal.so.4:/lib/other.so"
    assert runtime.preload_env(env)["LD_PRELOAD"] == env["LD_PRELOAD"]


def test_preload_env_respects_opt_out_and_absence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "tcmalloc_path", lambda: "/lib/libtcmalloc_minimal.so.4")
    assert "LD_PRELOAD" not in runtime.preload_env({"DD_ALLOCATOR": "system"})
    monkeypatch.setattr(runtime, "tcmalloc_path", lambda: None)
    assert "LD_PRELOAD" not in runtime.preload_env({})
