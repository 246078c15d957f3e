#!/usr/bin/env python3
"""Write the gateway's OpenAPI document (the dashboard's TypeScript client is generated
from it). Usage: export_openapi.py OUT.json"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from dd_gateway.app import create_app
from dd_gateway.settings import GatewaySettings


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "openapi.json")
    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app(GatewaySettings(json_logs=False, data_dir=Path(data_dir)))
        out.write_text(json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
