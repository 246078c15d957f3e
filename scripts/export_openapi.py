#!/usr/bin/env python3
"""Write the gateway's OpenAPI document (the dashboard's TypeScript client is generated
from it). Usage: export_openapi.py [--check] OUT.json

--check writes nothing: it fails when OUT.json differs from what the gateway serves now
(`make test` runs it, so a committed document or client stale against the gateway fails).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from dd_gateway.app import create_app
from dd_gateway.core.settings import GatewaySettings


def render() -> str:
    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app(GatewaySettings(json_logs=False, data_dir=Path(data_dir)))
        return json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", nargs="?", default="openapi.json", type=Path)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    spec = render()
    if args.check:
        if not args.out.exists() or args.out.read_text() != spec:
            print(
                f"{args.out} is stale against the gateway: run `make openapi client` and "
                "commit both files.",
                file=sys.stderr,
            )
            return 1
        print(f"{args.out} matches the gateway")
        return 0
    args.out.write_text(spec)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
