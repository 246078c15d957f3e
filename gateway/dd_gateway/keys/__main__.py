"""API keys CLI:

python -m dd_gateway.keys create NAME [--admin]   prints the new key (only time it is shown)
python -m dd_gateway.keys list
python -m dd_gateway.keys revoke KEY_ID
"""

from __future__ import annotations

import argparse
import sys

from dd_gateway.core.db import make_engine, migrate
from dd_gateway.core.settings import GatewaySettings
from dd_gateway.keys.store import KeyStore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dd_gateway.keys", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create a key")
    create.add_argument("name")
    create.add_argument(
        "--admin", action="store_true", help="sees every tenant's analyses, metrics and docs"
    )
    commands.add_parser("list", help="list keys (never the keys themselves)")
    commands.add_parser("revoke", help="revoke a key by id").add_argument("key_id")
    args = parser.parse_args(argv)

    engine = make_engine(GatewaySettings().resolved_database_url())
    migrate(engine)
    store = KeyStore(engine)
    if args.command == "create":
        key, token = store.create(args.name, admin=args.admin)
        print(f"id: {key.id}\nname: {key.name}\nadmin: {str(key.admin).lower()}\nkey: {token}")
        print("Store the key now: it is not shown again.", file=sys.stderr)
    elif args.command == "list":
        for key in store.list():
            state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
            role = "admin" if key.admin else "tenant"
            print(
                f"{key.id}  {key.prefix}…  {key.created_at:%Y-%m-%d %H:%M}  {state}  {role}  "
                f"{key.name}"
            )
    elif not store.revoke(args.key_id):
        print(f"no active key with id {args.key_id}", file=sys.stderr)
        return 1
    else:
        print(f"revoked {args.key_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
