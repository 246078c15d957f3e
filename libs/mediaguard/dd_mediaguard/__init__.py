"""Untrusted media, handled with bounds: ``preflight`` (cheap structural checks before any
parser runs) and ``bounded`` / ``bounded_iter`` (run a parser in a worker process under
memory, CPU and wall-clock limits). Both raise dd_inference.MediaRejected with catalogue
types."""

from dd_mediaguard.errors import reason
from dd_mediaguard.facts import Facts
from dd_mediaguard.pool import WorkerPool, bounded, bounded_iter, default_pool
from dd_mediaguard.preflight import preflight

__all__ = [
    "Facts",
    "WorkerPool",
    "bounded",
    "bounded_iter",
    "default_pool",
    "preflight",
    "reason",
]
