"""The backends catalogue: one client per modality of the modality table, the fusion
client, and the model versions each service reports.

Model versions are half of the result-cache key. They are asked of the services' /readyz
once (lazily, or by the warm-up at start) and then remembered: a stale entry is used
while a background task refreshes it, so an upload never waits on /readyz calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx

from dd_contracts import ModalitySpec, ModalityTable, ServiceStatus
from dd_contracts.hashing import sha256_text
from dd_gateway.core.settings import GatewaySettings
from dd_gateway.services.breaker import BreakerState
from dd_gateway.services.clients import FusionClient, ServiceClient

# A service that is not ready is asked again sooner.
NOT_READY_TTL_S = 5.0


class Backends:
    def __init__(
        self, table: ModalityTable, settings: GatewaySettings, http: httpx.AsyncClient
    ) -> None:
        self.table = table
        self.clients = {
            spec.name: ServiceClient(spec.name, spec.url, spec.timeout_s, settings, http)
            for spec in table
        }
        self.fusion = FusionClient(settings.fusion_url, settings.fusion_timeout_s, http)
        self.ttl_s = settings.model_versions_ttl_s
        self._seen: dict[str, tuple[float, ServiceStatus]] = {}
        self._refreshing: dict[str, asyncio.Task[ServiceStatus]] = {}

    def use(self, http: httpx.AsyncClient) -> None:
        """Point every client at a new connection pool (the app started again)."""
        self.fusion.client = http
        for client in self.clients.values():
            client.client = http

    def routes_for(self, kind: str) -> list[ModalitySpec]:
        return self.table.for_kind(kind)

    def internal_hosts(self) -> set[str]:
        """Host names of our own services (a callback may never point at them)."""
        urls = [c.base_url for c in self.clients.values()] + [self.fusion.base_url]
        return {httpx.URL(u).host for u in urls if u}

    async def statuses(self) -> list[ServiceStatus]:
        """Asked now (for /v1/services and /v1/model); refreshes the remembered versions."""
        names = list(self.clients)
        statuses = await asyncio.gather(*(self.clients[n].readiness() for n in names))
        now = time.monotonic()
        for name, status in zip(names, statuses, strict=True):
            if self.clients[name].base_url is not None:
                self._seen[name] = (now, status)
        return list(statuses)

    async def warm_up(self) -> None:
        await asyncio.gather(
            *(self._refresh(n) for n, c in self.clients.items() if c.base_url),
            return_exceptions=True,
        )

    async def close(self) -> None:
        for task in list(self._refreshing.values()):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*self._refreshing.values(), return_exceptions=True)

    def _refresh(self, name: str) -> asyncio.Task[ServiceStatus]:
        """One refresh per service at a time; callers may await it or not."""
        task = self._refreshing.get(name)
        if task is None or task.done():
            task = asyncio.create_task(self._fetch(name))
            self._refreshing[name] = task
        return task

    async def _fetch(self, name: str) -> ServiceStatus:
        status = await self.clients[name].readiness()
        self._seen[name] = (time.monotonic(), status)
        return status

    async def _versions(self, name: str) -> ServiceStatus | None:
        client = self.clients[name]
        if client.base_url is None or client.breaker.state is BreakerState.open:
            return None  # not deployed, or known dead: no need to ask
        seen = self._seen.get(name)
        if seen is None:
            return await self._refresh(name)  # the first time only
        age = time.monotonic() - seen[0]
        if age >= (self.ttl_s if seen[1].ready else NOT_READY_TTL_S):
            self._refresh(name)  # stale: used while refreshed in the background
        return seen[1]

    async def cache_key(self, kind: str, sha256: str, modalities: list[str]) -> str | None:
        """sha256 + the versions of every model that would judge the file now; None when
        a service that applies is not ready (nothing to compare with)."""
        parts = [kind, sha256]
        statuses = await asyncio.gather(*(self._versions(name) for name in modalities))
        for name, status in zip(modalities, statuses, strict=True):
            if status is None or not status.ready:
                return None
            models = sorted(f"{m.name}:{m.version}:{m.sha256}" for m in status.models)
            parts.append(f"{name}={','.join(models)}")
        return sha256_text("|".join(parts))
