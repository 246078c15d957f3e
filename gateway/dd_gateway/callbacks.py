"""Signed delivery of a finished analysis to the caller's callback_url.

Body: the Analysis JSON. Headers: X-DD-Timestamp (Unix seconds) and
X-DD-Signature: sha256=HEX, the HMAC-SHA256 of "<timestamp>.<body>" under the gateway's
callback secret (the timestamp is signed so that a captured delivery cannot be replayed
later). Retried with exponential backoff on connection errors, 5xx, 408 and 429.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time

import httpx

from dd_contracts import Analysis

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-DD-Signature"
TIMESTAMP_HEADER = "X-DD-Timestamp"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _worth_retrying(status: int) -> bool:
    return status >= 500 or status in (408, 429)


async def deliver(
    client: httpx.AsyncClient,
    url: str,
    analysis: Analysis,
    secret: str,
    attempts: int,
    backoff_s: float,
    timeout_s: float,
) -> bool:
    body = analysis.model_dump_json().encode()
    for attempt in range(1, attempts + 1):
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret, timestamp, body),
            "X-DD-Analysis-Id": analysis.id,
        }
        retry = True
        try:
            response = await client.post(url, content=body, headers=headers, timeout=timeout_s)
        except httpx.HTTPError as exc:
            outcome = repr(exc)
        else:
            if response.status_code < 300:
                return True
            outcome = f"HTTP {response.status_code}"
            retry = _worth_retrying(response.status_code)
        log.warning(
            "callback delivery failed",
            extra={"analysis_id": analysis.id, "attempt": attempt, "outcome": outcome},
        )
        if not retry or attempt == attempts:
            return False
        await asyncio.sleep(backoff_s * 2 ** (attempt - 1))
    return False
