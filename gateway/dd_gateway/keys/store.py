"""API keys: random tokens shown once, stored as SHA-256."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from pydantic import BaseModel

from dd_contracts.hashing import sha256_text
from dd_gateway.core.db import api_keys

TOKEN_PREFIX = "ddk_"


class ApiKey(BaseModel):
    id: str
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None
    # An admin key sees every tenant's analyses, service URLs, metrics and docs.
    admin: bool = False


def hash_token(token: str) -> str:
    return sha256_text(token)


def _key(row: sa.Row[tuple[object, ...]]) -> ApiKey:
    values = dict(row._mapping)
    values.pop("key_hash", None)
    values["admin"] = bool(values.get("admin"))
    return ApiKey.model_validate(values)


class KeyStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def create(self, name: str, admin: bool = False) -> tuple[ApiKey, str]:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)  # 256 bits
        key = ApiKey(
            id=secrets.token_hex(6),
            name=name,
            prefix=token[:12],
            created_at=datetime.now(UTC),
            admin=admin,
        )
        with self.engine.begin() as db:
            db.execute(sa.insert(api_keys).values(key_hash=hash_token(token), **key.model_dump()))
        return key, token

    def list(self) -> list[ApiKey]:
        query = sa.select(api_keys).order_by(api_keys.c.created_at)
        with self.engine.connect() as db:
            return [_key(row) for row in db.execute(query)]

    def revoke(self, key_id: str) -> bool:
        with self.engine.begin() as db:
            result = db.execute(
                sa.update(api_keys)
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )
        return result.rowcount == 1

    def verify(self, token: str) -> ApiKey | None:
        """The key a token belongs to, unless unknown or revoked."""
        query = sa.select(api_keys).where(
            api_keys.c.key_hash == hash_token(token), api_keys.c.revoked_at.is_(None)
        )
        with self.engine.connect() as db:
            row = db.execute(query).first()
        return _key(row) if row else None
