"""API keys on every /v1 route (when GATEWAY_REQUIRE_KEYS is on) and per-key rate limits.

A key is sent as `Authorization: Bearer <key>` or `X-API-Key: <key>`. Missing, unknown
or revoked keys get 401; a key over its rate gets 429 with Retry-After.
"""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import Depends
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from dd_gateway.errors import GatewayError
from dd_gateway.keys import ApiKey, KeyStore
from dd_gateway.ratelimit import RateLimiter

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="The API key")


def _unauthorized(detail: str) -> GatewayError:
    return GatewayError(
        detail, type="unauthorized", status_code=401, headers={"WWW-Authenticate": "Bearer"}
    )


class Authenticator:
    def __init__(self, keys: KeyStore, limiter: RateLimiter, required: bool) -> None:
        self.keys = keys
        self.limiter = limiter
        self.required = required

    def __call__(
        self,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        header_key: Annotated[str | None, Depends(_header)],
    ) -> ApiKey | None:
        if not self.required:
            return None
        token = bearer.credentials if bearer else header_key
        if not token:
            raise _unauthorized("An API key is required (Authorization: Bearer <key>).")
        key = self.keys.verify(token)
        if key is None:
            raise _unauthorized("The API key is not valid or has been revoked.")
        wait_s = self.limiter.take(key.id)
        if wait_s > 0:
            raise GatewayError(
                "Too many requests for this API key; slow down.",
                type="rate_limited",
                status_code=429,
                headers={"Retry-After": str(max(1, math.ceil(wait_s)))},
            )
        return key
