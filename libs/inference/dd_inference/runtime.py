"""CPU runtime settings shared by the services: thread counts and the optional Intel
extension. Importing torch or tensorflow is left to the caller, so that a service that
uses only one framework never loads the other."""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
from collections.abc import Mapping

log = logging.getLogger(__name__)


def configure_torch(threads: int) -> dict[str, object]:
    """Pin torch's intra-op threads; report whether IPEX is importable.

    intel-extension-for-pytorch is an optional accelerator: it pins torch 2.8 exactly and
    is archived upstream, so it is used when importable and never required.
    """
    import torch

    torch.set_num_threads(max(1, threads))
    # Refused once set in this process; the first setting wins, which is what we want.
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(1)
    ipex = importlib.util.find_spec("intel_extension_for_pytorch") is not None
    return {"torch": torch.__version__, "threads": torch.get_num_threads(), "ipex": ipex}


def configure_tensorflow(threads: int) -> dict[str, object]:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(max(1, threads))
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TF refuses once its runtime is initialised
        log.debug("tensorflow threads already fixed")
    return {"tensorflow": tf.__version__, "threads": threads}


# PyTorch's CPU allocator hands big activations straight to glibc, which maps and unmaps
# them on every forward: AASIST's first encoder block alone allocates ~66 MB a window, so
# half of its CPU time went to page faults. tcmalloc keeps freed memory for reuse
# (bench/audio.py: 7.2 -> 13 audio-s per wall-s). It must be preloaded at process start.
_TCMALLOC_CANDIDATES = (
    "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4",
    "/usr/lib/aarch64-linux-gnu/libtcmalloc_minimal.so.4",
    "/usr/lib/libtcmalloc_minimal.so.4",
)


def tcmalloc_path() -> str | None:
    """The tcmalloc library to LD_PRELOAD into model services, if installed."""
    for candidate in _TCMALLOC_CANDIDATES:
        if os.path.exists(candidate):
            return candidate
    return None


# Without tcmalloc, glibc's own allocator gets most of the way there when told to keep big
# blocks on its heap (no mmap below 1 GiB) and never to give freed memory back (trim above
# 4 GiB). Measured on the audio service (113 s clip, 2 cores): 8.1-8.5 -> 12.8-13.5 audio-s
# per wall-s, no package needed. glibc reads GLIBC_TUNABLES once, at process start, so this
# is an environment for child processes (run_stack, Dockerfiles, Kubernetes manifests).
GLIBC_TUNABLES_FAST = (
    "glibc.malloc.mmap_threshold=1073741824:glibc.malloc.trim_threshold=4294967296"
)


def allocator_env(env: Mapping[str, str]) -> dict[str, str]:
    """The allocator variables to add to ``env`` for a model-service process.

    ``DD_ALLOCATOR``: ``auto`` (default: tcmalloc when installed, else glibc tunables),
    ``tcmalloc``, ``glibc`` (tunables only) or ``system`` (leave the allocator alone).
    Variables the caller already set win.
    """
    choice = env.get("DD_ALLOCATOR", "auto")
    if choice == "system":
        return {}
    added: dict[str, str] = {}
    library = tcmalloc_path() if choice in ("auto", "tcmalloc") else None
    if library is not None:
        preload = env.get("LD_PRELOAD", "")
        if library not in preload.split(":"):
            added["LD_PRELOAD"] = f"{library}:{preload}".rstrip(":")
    elif "GLIBC_TUNABLES" not in env:
        added["GLIBC_TUNABLES"] = GLIBC_TUNABLES_FAST
    elif "glibc.malloc.mmap_threshold" not in env["GLIBC_TUNABLES"]:
        added["GLIBC_TUNABLES"] = f"{env['GLIBC_TUNABLES']}:{GLIBC_TUNABLES_FAST}"
    return added


def preload_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` with the fast allocator path for a model service: tcmalloc preloaded when
    installed, else glibc's malloc tunables; unchanged with ``DD_ALLOCATOR=system``."""
    added = allocator_env(env)
    return {**env, **added} if added else env


def allocator_in_use() -> str:
    """What this process runs with, for reports: 'tcmalloc', 'glibc-tunables' or 'glibc'."""
    if any("tcmalloc" in part for part in os.environ.get("LD_PRELOAD", "").split(":")):
        return "tcmalloc"
    if "glibc.malloc.mmap_threshold" in os.environ.get("GLIBC_TUNABLES", ""):
        return "glibc-tunables"
    return "glibc"
