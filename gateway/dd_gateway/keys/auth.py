"""API keys on every /v1 route (when GATEWAY_REQUIRE_KEYS is on) and per-key rate limits.

A key is sent as `Authorization: Bearer <key>` or `X-API-Key: <key>`. Missing, unknown
or revoked keys get 401; a key over its rate gets 429 with Retry-After. The answer is a
`Viewer`: which tenant is asking (each key is one), and whether it sees everything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from dd_contracts.catalogue import ErrorType
from dd_gateway.core.errors import GatewayError
from dd_gateway.keys.ratelimit import RateLimiter
from dd_gateway.keys.store import KeyStore

bearer_scheme = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")
header_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="The API key")


@dataclass(frozen=True)
class Viewer:
    """Who is asking. `key_id` None with `admin` True: the single-user gateway (no keys)."""

    key_id: str | None
    admin: bool

    @property
    def sees_everything(self) -> bool:
        return self.admin

    def may_see(self, owner_key_id: str | None) -> bool:
        return self.admin or owner_key_id == self.key_id


SINGLE_USER = Viewer(key_id=None, admin=True)


def _unauthorized(detail: str) -> GatewayError:
    return GatewayError.of(ErrorType.unauthorized, detail, headers={"WWW-Authenticate": "Bearer"})


class Authenticator:
    def __init__(self, keys: KeyStore, limiter: RateLimiter, required: bool) -> None:
        self.keys = keys
        self.limiter = limiter
        self.required = required

    def viewer(self, token: str | None) -> Viewer:
        if not self.required:
            return SINGLE_USER
        if not token:
            raise _unauthorized("An API key is required (Authorization: Bearer <key>).")
        key = self.keys.verify(token)
        if key is None:
            raise _unauthorized("The API key is not valid or has been revoked.")
        wait_s = self.limiter.take(key.id)
        if wait_s > 0:
            raise GatewayError.of(
                ErrorType.rate_limited,
                "Too many requests for this API key; slow down.",
                headers={"Retry-After": str(max(1, math.ceil(wait_s)))},
            )
        return Viewer(key_id=key.id, admin=key.admin)


def presented_token(
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    header_key: Annotated[str | None, Depends(header_scheme)],
) -> str | None:
    return bearer.credentials if bearer else header_key
