"""API keys: random tokens shown once, stored as SHA-256. Also the CLI:

python -m dd_gateway.keys create NAME     prints the new key (only time it is shown)
python -m dd_gateway.keys list
python -m dd_gateway.keys revoke KEY_ID
"""

from __future__ import annotations

import argparse
import hashlib
import secrets
import sys
from datetime import UTC, datetime

import sqlalchemy as sa
from pydantic import BaseModel

from dd_gateway.db import api_keys, make_engine, migrate

TOKEN_PREFIX = "ddk_"


class ApiKey(BaseModel):
    id: str
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _key(row: sa.Row[tuple[object, ...]]) -> ApiKey:
    return ApiKey.model_validate(dict(row._mapping))


class KeyStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def create(self, name: str) -> tuple[ApiKey, str]:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)  # 256 bits
        key = ApiKey(
            id=secrets.token_hex(6), name=name, prefix=token[:12], created_at=datetime.now(UTC)
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


def main(argv: list[str] | None = None) -> int:
    from dd_gateway.settings import GatewaySettings

    parser = argparse.ArgumentParser(prog="python -m dd_gateway.keys", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("create", help="create a key").add_argument("name")
    commands.add_parser("list", help="list keys (never the keys themselves)")
    commands.add_parser("revoke", help="revoke a key by id").add_argument("key_id")
    args = parser.parse_args(argv)

    engine = make_engine(GatewaySettings().resolved_database_url())
    migrate(engine)
    store = KeyStore(engine)
    if args.command == "create":
        key, token = store.create(args.name)
        print(f"id: {key.id}\nname: {key.name}\nkey: {token}")
        print("Store the key now: it is not shown again.", file=sys.stderr)
    elif args.command == "list":
        for key in store.list():
            state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
            print(f"{key.id}  {key.prefix}…  {key.created_at:%Y-%m-%d %H:%M}  {state}  {key.name}")
    elif not store.revoke(args.key_id):
        print(f"no active key with id {args.key_id}", file=sys.stderr)
        return 1
    else:
        print(f"revoked {args.key_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
