"""One fake inference service as a real process, so a test can kill it.

python -m tests.gateway.fake_service --modality video --port 8003 --delay-s 2
"""

from __future__ import annotations

import argparse

import uvicorn

from dd_contracts import Modality
from tests.fakes import FakeAnalyzer
from tests.gateway.conftest import fake_service


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--modality", type=Modality, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay-s", type=float, default=0.0)
    parser.add_argument("--probability", type=float, default=0.9)
    args = parser.parse_args()
    app = fake_service(FakeAnalyzer(args.modality, args.probability, delay_s=args.delay_s))
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
