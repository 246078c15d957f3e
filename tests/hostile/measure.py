"""Measuring a running service while hostile files hit it: the process listening on a
port, its descendants (parser workers), and the peak resident memory of each."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from types import TracebackType

import httpx
import psutil


def pid_on_port(port: int) -> int | None:
    for conn in psutil.net_connections(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
            return conn.pid
    return None


class TreeRss:
    """Samples the RSS of a process and of every descendant every ``interval_s``; keeps
    the peak of the process itself and the peak of any single descendant."""

    def __init__(self, pid: int, interval_s: float = 0.01) -> None:
        self.process = psutil.Process(pid)
        self.idle = self.peak = self._rss(self.process)
        self.child_peak = 0
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _rss(process: psutil.Process) -> int:
        try:
            return int(process.memory_info().rss)
        except psutil.Error:
            return 0

    def sample(self) -> None:
        self.peak = max(self.peak, self._rss(self.process))
        try:
            children = self.process.children(recursive=True)
        except psutil.Error:
            children = []
        for child in children:
            self.child_peak = max(self.child_peak, self._rss(child))

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sample()

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    @property
    def growth_mib(self) -> float:
        return (self.peak - self.idle) / 2**20


@dataclass
class Answer:
    status: int
    type: str | None
    seconds: float
    detail: str = ""


def post(url: str, data: bytes, name: str = "upload", timeout_s: float = 120.0) -> Answer:
    start = time.perf_counter()
    try:
        response = httpx.post(url, files={"file": (name, data)}, timeout=timeout_s)
    except httpx.HTTPError as exc:
        return Answer(0, type(exc).__name__, time.perf_counter() - start, str(exc))
    seconds = time.perf_counter() - start
    try:
        body = response.json()
    except ValueError:
        body = {}
    error_type = body.get("type") if isinstance(body, dict) else None
    detail = str(body.get("detail", ""))[:200] if isinstance(body, dict) else ""
    return Answer(response.status_code, error_type, seconds, detail)


@dataclass
class Outcome:
    case: str
    target: str
    status: int
    type: str | None
    seconds: float
    bytes: int
    service_pid: int | None
    service_idle_mib: float
    service_peak_mib: float
    worker_peak_mib: float
    detail: str
    processes: list[dict[str, float]]  # every watched process: port, pid, idle, peak

    @property
    def service_growth_mib(self) -> float:
        return self.service_peak_mib - self.service_idle_mib


def replay(url: str, name: str, data: bytes, watch_ports: list[int]) -> Outcome:
    """POST ``data`` to ``url`` while sampling the memory of the processes listening on
    ``watch_ports`` (and their workers); the first port is the one reported."""
    found = [(port, pid_on_port(port)) for port in watch_ports]
    watched = [(port, pid) for port, pid in found if pid]
    pids = [pid for _, pid in watched]
    meters = [TreeRss(pid) for pid in pids]
    for meter in meters:
        meter.__enter__()
    try:
        answer = post(url, data)
    finally:
        for meter in meters:
            meter.__exit__(None, None, None)
    main = meters[0] if meters else None
    return Outcome(
        case=name,
        target=url,
        status=answer.status,
        type=answer.type,
        seconds=round(answer.seconds, 3),
        bytes=len(data),
        service_pid=pids[0] if pids else None,
        service_idle_mib=round(main.idle / 2**20, 1) if main else 0.0,
        service_peak_mib=round(main.peak / 2**20, 1) if main else 0.0,
        worker_peak_mib=round(max((m.child_peak for m in meters), default=0) / 2**20, 1),
        detail=answer.detail,
        processes=[
            {
                "port": port,
                "pid": pid,
                "idle_mib": round(meter.idle / 2**20, 1),
                "peak_mib": round(meter.peak / 2**20, 1),
                "worker_peak_mib": round(meter.child_peak / 2**20, 1),
            }
            for (port, pid), meter in zip(watched, meters, strict=True)
        ],
    )
