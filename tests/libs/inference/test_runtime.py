from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dd_inference import runtime


def test_preload_env_adds_tcmalloc_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "tcmalloc_path", lambda: "/lib/libtcmalloc_minimal.so.4")
    env = runtime.preload_env({"LD_PRELOAD": "/lib/other.so"})
    assert env["LD_PRELOAD"] == "/lib/libtcmalloc_minimal.so.4:/lib/other.so"
    assert "GLIBC_TUNABLES" not in env
    assert runtime.preload_env(env)["LD_PRELOAD"] == env["LD_PRELOAD"]


def test_without_tcmalloc_the_glibc_tunables_are_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runtime, "tcmalloc_path", lambda: None)
    env = runtime.preload_env({})
    assert "LD_PRELOAD" not in env
    assert env["GLIBC_TUNABLES"] == runtime.GLIBC_TUNABLES_FAST
    # A caller's own tunables are kept and ours appended once.
    mine = runtime.preload_env({"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"})
    assert mine["GLIBC_TUNABLES"] == f"glibc.malloc.arena_max=2:{runtime.GLIBC_TUNABLES_FAST}"
    assert runtime.preload_env(mine) == mine


def test_allocator_choice_is_explicit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "tcmalloc_path", lambda: "/lib/libtcmalloc_minimal.so.4")
    assert runtime.preload_env({"DD_ALLOCATOR": "system"}) == {"DD_ALLOCATOR": "system"}
    glibc = runtime.preload_env({"DD_ALLOCATOR": "glibc"})
    assert "LD_PRELOAD" not in glibc
    assert glibc["GLIBC_TUNABLES"] == runtime.GLIBC_TUNABLES_FAST


def test_a_child_started_with_the_env_runs_with_the_tunables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The variables really reach a child process and glibc accepts them (it would ignore
    a malformed tunable string silently, so the child reports what it saw)."""
    monkeypatch.setattr(runtime, "tcmalloc_path", lambda: None)
    base = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "GLIBC_TUNABLES")}
    env = runtime.preload_env(base)
    code = "from dd_inference.runtime import allocator_in_use; print(allocator_in_use())"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "glibc-tunables"
