"""HTTP clients for the inference services and fusion.

Every failure of a service becomes a ModalityResult with a status (unavailable, failed,
rejected) and a reason a person can read; nothing here raises into the job runner
except for fusion, without which there is no verdict.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from pydantic import ValidationError

from dd_contracts import (
    ErrorBody,
    FusionRequest,
    ModalityResult,
    ModalityStatus,
    Progress,
    Readiness,
    ServiceStatus,
    Verdict,
)
from dd_contracts.catalogue import ErrorType
from dd_gateway.core.errors import GatewayError
from dd_gateway.core.settings import GatewaySettings
from dd_gateway.services.breaker import CircuitBreaker

log = logging.getLogger(__name__)
REQUEST_ID_HEADER = "X-Request-ID"
# Absolute file paths (a service's temp folder and file name) in a service's error text.
_PATH = re.compile(r"(?<![\w.])/(?:[\w.@+-]+/)+[\w.@+-]*")


def scrub_paths(text: str) -> str:
    """A service's sentence without the internal paths it may name."""
    return _PATH.sub("<file>", text)


@dataclass
class Rejection:
    """A service refused the media itself (4xx): the user's file is at fault."""

    status_code: int
    error: ErrorBody


@dataclass
class ServiceCall:
    result: ModalityResult
    rejection: Rejection | None = None
    # False when the result was decided without calling the service (nothing to judge).
    called: bool = True


def _failed(modality: str, status: ModalityStatus, reason: str) -> ServiceCall:
    return ServiceCall(ModalityResult(modality=modality, status=status, reason=reason))


class ServiceClient:
    def __init__(
        self,
        modality: str,
        base_url: str | None,
        timeout_s: float,
        settings: GatewaySettings,
        client: httpx.AsyncClient,
    ) -> None:
        self.modality = modality
        self.base_url = base_url.rstrip("/") if base_url else None
        self.timeout = httpx.Timeout(timeout_s, connect=settings.connect_timeout_s)
        self.poll_s = settings.progress_poll_s
        self.client = client
        self.retries = settings.connect_retries
        self.backoff_s = settings.connect_retry_backoff_s
        self.breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_cooldown_s)

    async def readiness(self) -> ServiceStatus:
        name = self.modality
        if self.base_url is None:
            return ServiceStatus(name=name, url="", ready=False, reason="not deployed")
        try:
            response = await self.client.get(f"{self.base_url}/readyz", timeout=2.0)
            body = Readiness.model_validate(response.json())
            return ServiceStatus(
                name=name,
                url=self.base_url,
                ready=body.ready,
                reason=body.reason,
                models=body.models,
            )
        except (httpx.HTTPError, ValueError, ValidationError) as exc:
            log.info("service readiness check failed", extra={"service": name, "error": repr(exc)})
            return ServiceStatus(
                name=name,
                url=self.base_url,
                ready=False,
                reason=f"unreachable ({type(exc).__name__})",
            )

    async def analyze(
        self,
        path: Path,
        filename: str,
        mime: str,
        request_id: str,
        on_progress: Callable[[float], None],
    ) -> ServiceCall:
        modality = self.modality
        if self.base_url is None:
            return _failed(modality, ModalityStatus.unavailable, "service not deployed")
        if not self.breaker.allow():
            return _failed(
                modality,
                ModalityStatus.unavailable,
                f"{modality} service is failing (circuit open after "
                f"{self.breaker.consecutive_failures} connection failures); next try in "
                f"{self.breaker.retry_in_s():.0f} s",
            )
        call_id = f"{request_id}.{modality}"
        poller = asyncio.create_task(self._poll_progress(call_id, on_progress))
        try:
            outcome = await self._post_with_retries(path, filename, mime, call_id)
        finally:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
        if isinstance(outcome, ServiceCall):
            return outcome
        self.breaker.record_success()
        return self._interpret(outcome)

    async def _post_with_retries(
        self, path: Path, filename: str, mime: str, call_id: str
    ) -> httpx.Response | ServiceCall:
        """Only failures to connect are retried: nothing reached the service, so a retry
        cannot make it do the work twice."""
        modality = self.modality
        started = time.perf_counter()
        for attempt in range(self.retries + 1):
            try:
                with path.open("rb") as handle:
                    return await self.client.post(
                        f"{self.base_url}/v1/analyze",
                        files={"file": (filename, handle, mime)},
                        headers={REQUEST_ID_HEADER: call_id},
                        timeout=self.timeout,
                    )
            except (httpx.ConnectError, httpx.ConnectTimeout):
                if attempt < self.retries:
                    await asyncio.sleep(self.backoff_s * 2**attempt)
                    continue
                self.breaker.record_failure()
                # The address stays in the logs: documents never show internal URLs.
                log.warning(
                    "service unreachable", extra={"service": modality, "url": self.base_url}
                )
                return _failed(
                    modality, ModalityStatus.unavailable, f"{modality} service unreachable"
                )
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                # The service went away mid-request (crashed, killed, restarted).
                self.breaker.record_failure()
                return _failed(
                    modality,
                    ModalityStatus.failed,
                    f"{modality} service dropped the connection mid-analysis "
                    f"({type(exc).__name__})",
                )
            except httpx.TimeoutException:
                # Connected, then slow: the service is alive, so the breaker stays closed.
                self.breaker.record_success()
                return _failed(
                    modality,
                    ModalityStatus.failed,
                    f"{modality} service timed out after {time.perf_counter() - started:.0f} s",
                )
            except httpx.HTTPError as exc:
                self.breaker.record_success()
                return _failed(
                    modality, ModalityStatus.failed, f"{modality} service: {type(exc).__name__}"
                )
        raise AssertionError("unreachable: the loop always returns")

    def _interpret(self, response: httpx.Response) -> ServiceCall:
        modality = self.modality
        if response.status_code == 200:
            try:
                return ServiceCall(ModalityResult.model_validate_json(response.content))
            except ValidationError:
                log.exception("service answered an invalid result", extra={"modality": modality})
                return _failed(modality, ModalityStatus.failed, "service answered invalid JSON")
        try:
            error = ErrorBody.model_validate_json(response.content)
        except ValidationError:
            error = ErrorBody(
                type=ErrorType.upstream_error,
                detail=f"The {modality} service answered HTTP {response.status_code}.",
            )
        error = error.model_copy(update={"detail": scrub_paths(error.detail)})
        if response.status_code == 503:
            return _failed(modality, ModalityStatus.unavailable, error.detail)
        if 400 <= response.status_code < 500:
            call = _failed(modality, ModalityStatus.rejected, error.detail)
            call.rejection = Rejection(response.status_code, error)
            return call
        return _failed(modality, ModalityStatus.failed, f"{error.type}: {error.detail}")

    async def _poll_progress(self, call_id: str, on_progress: Callable[[float], None]) -> None:
        """Ask the service how far it is, for progress bars; failures here are harmless."""
        while True:
            await asyncio.sleep(self.poll_s)
            try:
                response = await self.client.get(
                    f"{self.base_url}/v1/progress/{call_id}", timeout=2.0
                )
                if response.status_code == 200:
                    on_progress(Progress.model_validate_json(response.content).fraction)
            except (httpx.HTTPError, ValidationError):
                continue


class FusionClient:
    def __init__(self, base_url: str, timeout_s: float, client: httpx.AsyncClient) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout_s
        self.client = client

    async def fuse(self, request: FusionRequest, request_id: str) -> Verdict:
        try:
            response = await self.client.post(
                f"{self.base_url}/v1/fuse",
                content=request.model_dump_json(),
                headers={"Content-Type": "application/json", REQUEST_ID_HEADER: request_id},
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            log.warning("fusion unreachable", extra={"url": self.base_url, "error": repr(exc)})
            raise GatewayError.of(ErrorType.fusion_unavailable) from exc
        if response.status_code != 200:
            raise GatewayError.of(
                ErrorType.fusion_failed,
                f"The fusion service answered HTTP {response.status_code}.",
            )
        return Verdict.model_validate_json(response.content)

    async def readiness(self) -> ServiceStatus:
        try:
            response = await self.client.get(f"{self.base_url}/readyz", timeout=2.0)
            ready = response.status_code == 200
            return ServiceStatus(name="fusion", url=self.base_url, ready=ready)
        except httpx.HTTPError as exc:
            return ServiceStatus(
                name="fusion",
                url=self.base_url,
                ready=False,
                reason=f"unreachable ({type(exc).__name__})",
            )
