#!/usr/bin/env python3
"""Start the whole stack on loopback as processes, report where each listens, and stop
all of them cleanly on Ctrl-C (or when any one of them dies).

    gateway :8000  image :8001  audio :8002  video :8003  fusion :8004

The model services are the modality table's (dd_contracts.modalities, DD_MODALITIES):
a modality with a `module` and a `port` is started like the others.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from dd_contracts import ModalityTable
from dd_inference.runtime import preload_env

HOST = "127.0.0.1"
TABLE = ModalityTable.from_env()
MODEL_SERVICES = {s.name for s in TABLE if s.module and s.port}


@dataclass(frozen=True)
class Service:
    name: str
    module: str
    port: int
    env_prefix: str


SERVICES = [
    Service("fusion", "dd_fusion", 8004, "FUSION_"),
    *(
        Service(s.name, s.module, s.port, s.env_prefix or f"{s.name.upper()}_")
        for s in TABLE
        if s.module and s.port
    ),
    Service("gateway", "dd_gateway", 8000, "GATEWAY_"),
]


def readiness(port: int) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/readyz", timeout=2) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read()).get("reason") or ""
        except ValueError:
            return exc.code, ""
    except OSError:
        return 0, "not listening yet"


def start(service: Service, python: str, ports: dict[str, int]) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env[f"{service.env_prefix}HOST"] = HOST
    env[f"{service.env_prefix}PORT"] = str(ports[service.name])
    # Every app reads the same table: the gateway routes to these ports, fusion weighs.
    started = [{"name": n, "url": f"http://{HOST}:{ports[n]}"} for n in MODEL_SERVICES]
    env["DD_MODALITIES"] = json.dumps(
        [*json.loads(os.environ.get("DD_MODALITIES", "") or "[]"), *started]
    )
    if service.name == "gateway":
        env["GATEWAY_FUSION_URL"] = f"http://{HOST}:{ports['fusion']}"
    # Each service owns its threads (settings.threads); keep BLAS pools from multiplying.
    env.setdefault("OMP_NUM_THREADS", "2")
    if service.name in MODEL_SERVICES:
        env = preload_env(env)
    return subprocess.Popen([python, "-m", service.module], env=env, start_new_session=True)


def stop_all(procs: dict[str, subprocess.Popen[bytes]], grace_s: float = 10.0) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for name, proc in procs.items():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"[stack] {name} did not stop in {grace_s:.0f} s; killing it", flush=True)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument(
        "--base-port", type=int, default=None, help="use base..base+4 instead of 8000..8004"
    )
    parser.add_argument("--only", nargs="*", default=None, help="start only these services")
    args = parser.parse_args(argv)

    ports = {s.name: s.port for s in SERVICES}
    if args.base_port is not None:
        ports = {s.name: args.base_port + (s.port - 8000) for s in SERVICES}
    chosen = [s for s in SERVICES if args.only is None or s.name in args.only]

    procs: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    for service in chosen:
        procs[service.name] = start(service, args.python, ports)
    print("[stack] starting:", flush=True)
    for service in chosen:
        print(f"[stack]   {service.name:8s} http://{HOST}:{ports[service.name]}", flush=True)
    print("[stack] Ctrl-C stops everything.", flush=True)

    pending = {s.name for s in chosen}
    exit_code = 0
    try:
        while not stopping:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    print(
                        f"[stack] {name} exited with code {proc.returncode}; stopping the stack",
                        flush=True,
                    )
                    stopping, exit_code = True, 1
                    break
            for name in sorted(pending):
                status, reason = readiness(ports[name])
                if status == 200:
                    pending.discard(name)
                    print(f"[stack] {name} ready at http://{HOST}:{ports[name]}", flush=True)
                elif (
                    status == 503 and reason and "loading" not in reason and "warming" not in reason
                ):
                    print(f"[stack] {name} not ready: {reason}", flush=True)
                    pending.discard(name)
                if not pending:
                    print(
                        f"[stack] try: curl -F file=@face.jpg "
                        f"'http://{HOST}:{ports['gateway']}/v1/analyses?wait=true'",
                        flush=True,
                    )
            time.sleep(0.5)
    finally:
        print("[stack] stopping all services...", flush=True)
        stop_all(procs)
        print("[stack] stopped.", flush=True)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
