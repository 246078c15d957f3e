"""Which model versions would judge a file now: the half of the result-cache key that is
not the file's SHA-256. Asked of the services' /readyz and remembered for a while."""

from __future__ import annotations

import hashlib
import time

from dd_contracts import MediaKind, Modality, ServiceStatus
from dd_gateway.backends import ServiceClient
from dd_gateway.breaker import BreakerState
from dd_gateway.runner import MODALITIES_FOR


class ModelCatalog:
    def __init__(
        self,
        services: dict[Modality, ServiceClient],
        ttl_s: float = 30.0,
        not_ready_ttl_s: float = 5.0,
    ) -> None:
        self.services = services
        self.ttl_s = ttl_s
        # A service that is not ready is asked again sooner, but not on every upload.
        self.not_ready_ttl_s = not_ready_ttl_s
        self._seen: dict[Modality, tuple[float, ServiceStatus]] = {}

    async def _status(self, modality: Modality) -> ServiceStatus | None:
        client = self.services[modality]
        if client.base_url is None or client.breaker.state is BreakerState.open:
            return None  # not deployed, or known dead: no need to ask
        cached = self._seen.get(modality)
        if cached:
            age = time.monotonic() - cached[0]
            if age < (self.ttl_s if cached[1].ready else self.not_ready_ttl_s):
                return cached[1]
        status = await client.readiness()
        self._seen[modality] = (time.monotonic(), status)
        return status

    async def cache_key(self, kind: MediaKind, sha256: str) -> str | None:
        """None when a service that applies is not ready: nothing to compare with."""
        parts = [kind.value, sha256]
        for modality in MODALITIES_FOR[kind]:
            status = await self._status(modality)
            if status is None or not status.ready:
                return None
            models = sorted(f"{m.name}:{m.version}:{m.sha256}" for m in status.models)
            parts.append(f"{modality.value}={','.join(models)}")
        return hashlib.sha256("|".join(parts).encode()).hexdigest()
