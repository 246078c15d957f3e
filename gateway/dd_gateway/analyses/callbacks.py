"""Signed delivery of a finished analysis to the caller's callback_url, in its own lane.

Body: the Analysis JSON. Headers: X-DD-Timestamp (Unix seconds) and
X-DD-Signature: sha256=HEX, the HMAC-SHA256 of "<timestamp>.<body>" under the gateway's
callback secret (the timestamp is signed so that a captured delivery cannot be replayed
later). Retried with exponential backoff on connection errors, 5xx, 408 and 429.

Its own lane: callbacks have their own HTTP client and connection limit (a slow callback
target can never take a connection the model services need), and each attempt has a
total deadline (connect, send and every byte of the answer), not a per-read timeout.

Destination policy: a callback may never point at our own services; and unless
GATEWAY_CALLBACK_ALLOW_PRIVATE is set, the host is resolved and every address must be
public (no loopback, private, link-local, multicast or reserved address). The request
then goes to the checked address itself, so a second DNS answer cannot send it elsewhere.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import logging
import socket
import time
from dataclasses import dataclass

import httpx

from dd_contracts import Analysis
from dd_contracts.catalogue import ErrorType
from dd_gateway.core.errors import GatewayError

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-DD-Signature"
TIMESTAMP_HEADER = "X-DD-Timestamp"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _worth_retrying(status: int) -> bool:
    return status >= 500 or status in (408, 429)


def _refused(detail: str) -> GatewayError:
    return GatewayError.of(ErrorType.callback_refused, detail)


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


@dataclass(frozen=True)
class Destination:
    url: httpx.URL
    # The checked address to connect to (None: the policy allows any, name it by host).
    address: str | None


class CallbackPolicy:
    def __init__(self, internal: set[tuple[str, int]], allow_private: bool) -> None:
        # (host, port) of every service behind the gateway.
        self.internal = internal
        self.allow_private = allow_private

    async def check(self, raw_url: str) -> Destination:
        url = httpx.URL(raw_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise _refused("The callback URL must be an http(s) URL with a host.")
        port = _port(url)
        if (url.host, port) in self.internal:
            raise _refused("The callback URL points at one of this gateway's own services.")
        if self.allow_private:
            return Destination(url, None)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                url.host, port, type=socket.SOCK_STREAM
            )
        except OSError as exc:
            raise _refused("The callback host does not resolve.") from exc
        addresses = sorted({str(info[4][0]) for info in infos})
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            if not ip.is_global or ip.is_multicast:
                raise _refused(
                    "The callback URL resolves to a loopback, private or link-local address."
                )
            if (address, port) in self.internal:
                raise _refused("The callback URL points at one of this gateway's own services.")
        if not addresses:
            raise _refused("The callback host does not resolve.")
        return Destination(url, addresses[0])


class CallbackSender:
    def __init__(
        self,
        policy: CallbackPolicy,
        secret: str,
        *,
        attempts: int,
        backoff_s: float,
        deadline_s: float,
        max_connections: int,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.policy = policy
        self.secret = secret
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.deadline_s = deadline_s
        self.max_connections = max_connections
        self.transport = transport
        self.client = self._new_client()

    def _new_client(self) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=self.max_connections, max_keepalive_connections=0)
        return httpx.AsyncClient(limits=limits, transport=self.transport, follow_redirects=False)

    def reopen(self) -> None:
        if self.client.is_closed:
            self.client = self._new_client()

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _post(self, destination: Destination, body: bytes, headers: dict[str, str]) -> int:
        url = destination.url
        extensions: dict[str, object] = {}
        if destination.address is not None:
            # Connect to the address that was checked; the Host header and TLS name stay.
            headers = {**headers, "Host": url.netloc.decode()}
            if url.scheme == "https":
                extensions["sni_hostname"] = url.host
            host = destination.address
            url = url.copy_with(host=f"[{host}]" if ":" in host else host)
        async with asyncio.timeout(self.deadline_s):
            response = await self.client.post(
                url,
                content=body,
                headers=headers,
                timeout=self.deadline_s,
                extensions=extensions,
            )
            return response.status_code

    async def deliver(self, url: str, analysis: Analysis) -> bool:
        body = analysis.model_dump_json().encode()
        for attempt in range(1, self.attempts + 1):
            timestamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: sign(self.secret, timestamp, body),
                "X-DD-Analysis-Id": analysis.id,
            }
            retry = True
            try:
                # Checked again at delivery: the name may resolve elsewhere by now.
                destination = await self.policy.check(url)
                status = await self._post(destination, body, headers)
            except GatewayError as exc:
                outcome, retry = exc.detail, False
            except (httpx.HTTPError, TimeoutError) as exc:
                outcome = type(exc).__name__
            else:
                if status < 300:
                    return True
                outcome = f"HTTP {status}"
                retry = _worth_retrying(status)
            log.warning(
                "callback delivery failed",
                extra={"analysis_id": analysis.id, "attempt": attempt, "outcome": outcome},
            )
            if not retry or attempt == self.attempts:
                return False
            await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))
        return False
