"""Build each Docker image's Python environment without Docker, start its service, use it.

For gateway, fusion, image, audio and video this script reads the service's Dockerfile
(docker/*.Dockerfile; build args and environment from docker-compose.yml) and:

1. lays out a copy of the build context the way the Dockerfile's ``COPY`` lines do, in a
   throw-away folder (default /tmp/dd-image-envs/<service>/app);
2. runs the Dockerfile's ``RUN`` lines that call pip in bash with ``pip`` (and ``rm``,
   ``apt-get``, ``useradd``, ...) replaced by recorders, so the shell logic of the file
   (``if [ "$SERVICE" != audio ]``, ``grep ... > /tmp/torch.txt``) decides what gets
   installed, then replays the recorded ``pip install`` calls, in order, into a fresh
   venv (reused while the requirement files it reads are unchanged; our own packages are
   reinstalled every time);
3. starts the image's ``CMD`` from that venv only (no PYTHONPATH, an empty working
   folder), with the image's ``ENV`` and compose's ``environment:``, on a free loopback
   port, with ``/models`` replaced by the repository's models/ folder, ``/data`` and
   ``HOME`` by throw-away folders, and the dashboard (``COPY --from=dashboard``) taken
   from frontend/dist when it has been built;
4. waits for ``/readyz`` and sends one real request: a shared media file to a model
   service's ``/v1/analyze``, a small body to fusion's ``/v1/fuse``, and for the gateway
   (run against a fusion service started from the fusion venv) an upload with
   ``?wait=true`` and the PDF report of it;
5. runs ``pip check`` and lists the distributions the running service never loaded (no
   module imported, no shared library mapped), biggest first.

The one substitution: the Dockerfiles install torch/torchvision from PyTorch's CPU index
(``--index-url https://download.pytorch.org/whl/cpu``), which this machine cannot reach.
That option is dropped, so pip's configured index/find-links provide the same pins
(torch==2.14.1, torchvision==0.29.1) from local disk. Those are PyPI's CUDA builds: they
pull nvidia-*, cuda-* and triton, which the CPU wheels do not have; the sizes are
therefore reported with and without those distributions. Everything else (requirement
files, flags such as ``--no-deps -r requirements/nodeps.txt``, our packages) is what the
Dockerfile says.

Results: bench/results/image_envs.json and a table. Service start and requests hold the
machine-wide benchmark lock (/tmp/dd-bench.lock); pip runs under ``nice -n 10``.

    .venv/bin/python scripts/check_image_envs.py                 # all five
    .venv/bin/python scripts/check_image_envs.py audio fusion    # some
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import itertools
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED_MEDIA = REPO.parent / "shared" / "media"
SERVICES = ("fusion", "gateway", "image", "audio", "video")
DOCKERFILE = {"gateway": "gateway", "fusion": "fusion"}  # others: model.Dockerfile
MEDIA = {
    "image": "faces/mesonet_fake_df00204.jpg",
    "audio": "speech/arctic_a0007.wav",
    "video": "astronaut_talk.mp4",
    "gateway": "faces/mesonet_fake_df00204.jpg",
}
FUSE_BODY = {"scores": [{"modality": "image", "status": "ok", "fake_probability": 0.9}]}
LOCK = Path("/tmp/dd-bench.lock")
# What the CUDA torch wheel from PyPI brings and PyTorch's CPU wheel does not.
CUDA_ONLY = re.compile(r"^(nvidia-.*|cuda-.*|triton)$")
BOOTSTRAP = {"pip", "setuptools", "wheel"}  # the venv's (and the base image's) own
HEAVY_MB = 5.0
# Commands a Dockerfile RUN line may use for the image's filesystem: recorded, not run.
RECORDED = ("pip", "rm", "apt-get", "useradd", "chown", "chmod", "mkdir", "ln")
FIELD, END = "\x1f", "\x1e"


# --- Dockerfile ------------------------------------------------------------------------


@dataclass
class Instruction:
    keyword: str  # upper case: FROM, ARG, ENV, COPY, RUN, WORKDIR, CMD, SHELL, ...
    text: str  # the rest of the instruction, continuation lines joined


def instructions(dockerfile: str) -> list[Instruction]:
    """The instructions of the *last* stage (the image that ships), in order; comment
    lines (also inside continuations) dropped, ``\\``-continued lines joined."""
    found: list[Instruction] = []
    pending = ""
    for raw in dockerfile.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        line, pending = pending + line, ""
        keyword, _, rest = line.partition(" ")
        found.append(Instruction(keyword.upper(), rest.strip()))
    last_from = max((i for i, ins in enumerate(found) if ins.keyword == "FROM"), default=-1)
    return found[last_from + 1 :]


def expand(text: str, variables: dict[str, str]) -> str:
    """Dockerfile variable substitution: ``$NAME`` and ``${NAME}`` (unknown: empty)."""
    return re.sub(
        r"\$\{(\w+)\}|\$(\w+)", lambda m: variables.get(m.group(1) or m.group(2), ""), text
    )


def parse_env(text: str, variables: dict[str, str]) -> dict[str, str]:
    """``ENV A=1 B="two words"`` (and the old ``ENV A 1`` form)."""
    words = shlex.split(text)
    if words and "=" not in words[0]:
        return {words[0]: expand(" ".join(words[1:]), variables)}
    env: dict[str, str] = {}
    for word in words:
        name, _, value = word.partition("=")
        env[name] = expand(value, {**variables, **env})
    return env


def parse_json_or_shell(text: str) -> list[str]:
    """CMD/SHELL in exec form (JSON array) or shell form (``/bin/sh -c``)."""
    if text.startswith("["):
        return [str(word) for word in json.loads(text)]
    return ["/bin/sh", "-c", text]


@dataclass
class Copy:
    sources: list[str]
    destination: str
    stage: str | None = None  # COPY --from=<stage>


@dataclass
class ImagePlan:
    """What the Dockerfile does that matters for its Python environment."""

    args: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    workdir: str = "/"
    shell: list[str] = field(default_factory=lambda: ["/bin/sh", "-c"])
    steps: list[Copy | str] = field(default_factory=list)  # COPY, or a RUN line with pip
    skipped_runs: list[str] = field(default_factory=list)  # RUN lines without pip
    cmd: list[str] = field(default_factory=list)


def plan(dockerfile: str, build_args: dict[str, str]) -> ImagePlan:
    result = ImagePlan()
    for ins in instructions(dockerfile):
        variables = {**result.args, **result.env}
        if ins.keyword == "ARG":
            name, _, default = ins.text.partition("=")
            result.args[name] = build_args.get(name, default.strip('"'))
        elif ins.keyword == "ENV":
            result.env.update(parse_env(ins.text, variables))
        elif ins.keyword == "WORKDIR":
            result.workdir = expand(ins.text, variables)
        elif ins.keyword == "SHELL":
            result.shell = parse_json_or_shell(ins.text)
        elif ins.keyword == "COPY":
            words = shlex.split(ins.text)
            stage = next((w.split("=", 1)[1] for w in words if w.startswith("--from=")), None)
            paths = [expand(w, variables) for w in words if not w.startswith("--")]
            result.steps.append(Copy(paths[:-1], paths[-1], stage))
        elif ins.keyword == "RUN":
            if re.search(r"\bpip\b", ins.text):
                result.steps.append(ins.text)
            else:
                result.skipped_runs.append(ins.text)
        elif ins.keyword == "CMD":
            result.cmd = parse_json_or_shell(ins.text)
    return result


def _recorder_script(record: Path) -> str:
    quoted = shlex.quote(str(record))
    lines = [
        f"{name}() {{ {{ printf '%s{FIELD}' {name} \"$@\"; printf '{END}'; }} >> {quoted}; }}"
        for name in RECORDED
    ]
    return "\n".join(lines) + "\n"


def recorded_calls(record: Path) -> list[list[str]]:
    if not record.exists():
        return []
    calls = record.read_text().split(END)
    return [call.split(FIELD)[:-1] for call in calls if call]


def remap_paths(line: str, mapping: dict[str, str]) -> str:
    """Replace absolute path prefixes (``/tmp/...``) where a path starts, in one pass."""
    prefixes = sorted((p for p in mapping if p != "/"), key=len, reverse=True)
    if not prefixes:
        return line
    pattern = r"(?<![\w./-])(" + "|".join(re.escape(p) for p in prefixes) + ")"
    return re.sub(pattern, lambda m: mapping[m.group(1)], line)


def run_recorded(
    run_line: str, context: Path, workdir: str, variables: dict[str, str], record: Path
) -> None:
    """Run one RUN line in bash with the filesystem commands recorded, in the context copy.
    The image's WORKDIR and /tmp become folders of the copy."""
    scratch = context / ".tmp"
    scratch.mkdir(exist_ok=True)
    line = remap_paths(run_line, {"/tmp/": f"{scratch}/", workdir.rstrip("/") + "/": f"{context}/"})
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **variables}
    subprocess.run(
        ["bash", "-o", "pipefail", "-ec", _recorder_script(record) + line],
        cwd=context,
        env=env,
        check=True,
    )


# --- compose ---------------------------------------------------------------------------


def compose_service(name: str) -> dict[str, Any]:
    import yaml

    data = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    service: dict[str, Any] = data["services"][name]
    return service


def compose_value(value: object) -> str:
    """``${VAR:-default}``: the environment's value, else the default (as compose does)."""

    def one(match: re.Match[str]) -> str:
        return os.environ.get(match.group(1)) or match.group(2) or ""

    return re.sub(r"\$\{(\w+)(?::?-([^}]*))?\}", one, str(value))


# --- venv ------------------------------------------------------------------------------


def requirement_files(args: list[str], base: Path) -> list[Path]:
    """Every requirement/constraint file a pip call reads, following ``-r`` inside them."""
    files: list[Path] = []
    pending = [base / a for flag, a in itertools.pairwise(args) if flag in ("-r", "-c")]
    while pending:
        path = pending.pop()
        if path in files or not path.exists():
            continue
        files.append(path)
        for line in path.read_text().splitlines():
            words = line.split("#", 1)[0].split()
            if len(words) == 2 and words[0] in ("-r", "-c"):
                pending.append(path.parent / words[1])
    return files


def is_own_packages(call: list[str], context: Path) -> bool:
    """A pip call that installs our packages from folders of the build context."""
    return any(not a.startswith("-") and (context / a).is_dir() for a in call[2:])


def pip_argv(call: list[str], python: Path) -> tuple[list[str], bool]:
    """The replayed command for a recorded ``pip ...`` call, and whether the torch index
    substitution applied to it."""
    args = list(call[1:])
    substituted = False
    for flag in ("--index-url", "-i", "--extra-index-url"):
        while flag in args:
            at = args.index(flag)
            if "download.pytorch.org" in args[at + 1]:
                substituted = True
            del args[at : at + 2]
    return [str(python), "-m", "pip", *args, "--progress-bar", "off"], substituted


def dir_mb(path: Path) -> float:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            with suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total / 1e6


# Run by the venv's own python: every distribution, its files, size, requirements and
# top-level modules.
INVENTORY = r"""
import json, os, re, importlib.metadata as md
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
out = {}
for d in md.distributions():
    name = norm(d.metadata["Name"])
    files = []
    for f in d.files or []:
        p = os.path.realpath(d.locate_file(f))
        files.append(p)
    size = sum(os.path.getsize(p) for p in files if os.path.isfile(p))
    reqs = sorted({norm(re.split(r"[\s\[<>=!~;(]", r, maxsplit=1)[0])
                   + ("[extra]" if "extra ==" in r else "") for r in (d.requires or [])})
    tops = set((d.read_text("top_level.txt") or "").split())
    for f in d.files or []:
        part = f.parts[0]
        if part.endswith((".dist-info", ".data")) or part in ("..", "bin"):
            continue
        tops.add(part[:-3] if part.endswith(".py") else part.split(".")[0])
    out[name] = {"version": d.version, "size": size, "requires": reqs,
                 "top": sorted(tops), "files": files}
print(json.dumps(out))
"""


def inventory(python: Path) -> dict[str, dict[str, Any]]:
    done = subprocess.run(
        [str(python), "-c", INVENTORY], capture_output=True, text=True, check=True
    )
    result: dict[str, dict[str, Any]] = json.loads(done.stdout)
    return result


# --- running ---------------------------------------------------------------------------


def free_port() -> int:
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if not 8000 <= port <= 8010:
            return port


@contextmanager
def bench_lock() -> Iterator[None]:
    with LOCK.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    log: Path
    url: str

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def peak_rss_mb(self) -> float | None:
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        return int(match.group(1)) / 1024 if match else None

    def mapped_files(self) -> set[str]:
        try:
            maps = Path(f"/proc/{self.process.pid}/maps").read_text()
        except OSError:
            return set()
        return {line.split(None, 5)[5] for line in maps.splitlines() if len(line.split()) == 6}


def log_tail(log: Path, lines: int = 30) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    kept = [line for line in text.splitlines() if not line.startswith("import time:")]
    return "\n".join(kept[-lines:])


def import_errors(log: Path) -> list[str]:
    text = log.read_text(errors="replace") if log.exists() else ""
    # Tracebacks are plain lines or JSON strings ("exc": "...\\nModuleNotFoundError: ...").
    found = re.findall(r"\b(?:ModuleNotFound|Import)Error: [^\n\\\"]*", text)
    return sorted(set(found))


def import_probe(python: Path, text: str) -> dict[str, str]:
    """A failed import can surface as ``KeyError('pkg')`` (a package whose first import
    died half-way): import each such module alone in the venv and keep its error."""
    probes: dict[str, str] = {}
    for module in sorted(set(re.findall(r"KeyError\('([\w.]+)'\)", text))):
        done = subprocess.run(
            [str(python), "-c", f"import {module}"], capture_output=True, text=True, check=False
        )
        lines = done.stderr.strip().splitlines()
        probes[module] = lines[-1] if done.returncode and lines else "imports"
    return probes


def imported_modules(log: Path) -> set[str]:
    """Top-level modules the process imported (``PYTHONPROFILEIMPORTTIME`` lines)."""
    text = log.read_text(errors="replace") if log.exists() else ""
    names = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*([\w.]+)\s*$", text, re.M)
    return {name.split(".")[0] for name in names}


# --- one service -----------------------------------------------------------------------


@dataclass
class Env:
    """One service's venv and the way to start it."""

    service: str
    root: Path
    image: ImagePlan
    compose: dict[str, Any]

    @property
    def venv(self) -> Path:
        return self.root / "venv"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def context(self) -> Path:
        return self.root / "app"


def prepare(service: str, root: Path) -> Env:
    compose = compose_service(service)
    build = compose.get("build", {})
    args = {k: compose_value(v) for k, v in (build.get("args") or {}).items()}
    dockerfile = REPO / (build.get("dockerfile") or f"docker/{DOCKERFILE[service]}.Dockerfile")
    return Env(service, root / service, plan(dockerfile.read_text(), args), compose)


def dockerignore_patterns() -> list[str]:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    return [line[3:] for line in lines if line.startswith("**/")]


def lay_out_and_record(env: Env, notes: list[str]) -> list[list[str]]:
    """COPY into the context copy and run the pip RUN lines with recorders: the pip calls
    the image makes, in order."""
    if env.context.exists():
        shutil.rmtree(env.context)
    env.context.mkdir(parents=True)
    record = env.root / "calls.rec"
    record.unlink(missing_ok=True)
    ignore = shutil.ignore_patterns(*dockerignore_patterns())
    workdir = env.image.workdir.rstrip("/")
    for step in env.image.steps:
        if isinstance(step, str):
            variables = {**env.image.args, **env.image.env}
            run_recorded(step, env.context, env.image.workdir, variables, record)
            continue
        target = step.destination
        target = target[len(workdir) + 1 :] if target.startswith(workdir + "/") else target
        destination = env.context / target.lstrip("/")
        for source in step.sources:
            origin = REPO / source
            if step.stage == "dashboard":
                origin = REPO / "frontend" / "dist"
                if not (origin / "index.html").exists():
                    notes.append("frontend/dist is not built: the gateway runs without it")
                    continue
            elif step.stage:
                notes.append(f"COPY --from={step.stage} {source}: not reproduced")
                continue
            if origin.is_dir():
                shutil.copytree(origin, destination, ignore=ignore, dirs_exist_ok=True)
            else:
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, destination)
    return recorded_calls(record)


def install(env: Env, calls: list[list[str]], log: Path) -> dict[str, Any]:
    """Replay the pip calls into the venv; the third-party ones only when what they read
    changed (hash), our own packages every time."""
    pip_calls = [c for c in calls if c[:2] == ["pip", "install"]]
    third_party = [c for c in pip_calls if not is_own_packages(c, env.context)]
    digest = hashlib.sha256(sys.version.encode())
    for call in third_party:
        digest.update(json.dumps(call).encode())
        for path in requirement_files(call[2:], env.context):
            digest.update(path.read_bytes())
    stamp = env.venv / ".dd-image-env.json"
    previous = json.loads(stamp.read_text()) if stamp.exists() else {}
    reused = previous.get("hash") == digest.hexdigest() and env.python.exists()
    started = time.perf_counter()
    with log.open("a") as out:
        if not reused:
            shutil.rmtree(env.venv, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(env.venv)], check=True)
        for call in pip_calls:
            own = call not in third_party
            if reused and not own:
                continue
            argv, _ = pip_argv(call, env.python)
            if own:
                argv.append("--force-reinstall")
            out.write(f"\n$ {' '.join(argv)}\n")
            out.flush()
            subprocess.run(
                ["nice", "-n", "10", *argv], cwd=env.context, stdout=out, stderr=out, check=True
            )
    seconds = time.perf_counter() - started
    if not reused:
        stamp.write_text(json.dumps({"hash": digest.hexdigest(), "install_s": seconds}))
    return {
        "reused_venv": reused,
        "install_s": round(previous.get("install_s", seconds) if reused else seconds, 1),
        "torch_index_substituted": any(pip_argv(c, env.python)[1] for c in pip_calls),
        "pip_calls": [" ".join(c) for c in pip_calls],
    }


def service_env(env: Env, port: int, models: Path, extra: dict[str, str]) -> dict[str, str]:
    """The image's ENV, then compose's environment, with paths and addresses mapped to
    this machine."""
    values = {**env.image.env}
    values.update({k: compose_value(v) for k, v in (env.compose.get("environment") or {}).items()})
    home = env.root / "home"
    data = env.root / "data"
    for folder in (home, data):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    workdir = env.image.workdir.rstrip("/")
    for name, value in values.items():
        if value == "/models" or value.startswith("/models/"):
            values[name] = str(models) + value[len("/models") :]
        elif value == "/data":
            values[name] = str(data)
        elif workdir and value.startswith(workdir + "/"):
            values[name] = str(env.context / value[len(workdir) + 1 :])
        if name.endswith("_HOST") and value == "0.0.0.0":
            values[name] = "127.0.0.1"
        if name.endswith("_PORT"):
            values[name] = str(port)
        if re.fullmatch(r"http://(image|audio|video|fusion):\d+", value):
            values[name] = "http://127.0.0.1:9"  # nothing listens: unavailable
    values.update(extra)
    values["HOME"] = str(home)
    values["PATH"] = f"{env.venv / 'bin'}:/usr/local/bin:/usr/bin:/bin"
    values["PYTHONPROFILEIMPORTTIME"] = "1"  # which modules load (never-used packages)
    values["TMPDIR"] = str(home)
    return values


def start(env: Env, models: Path, extra: dict[str, str] | None = None) -> Running:
    port = free_port()
    variables = service_env(env, port, models, extra or {})
    run_dir = env.root / "run"  # the image's WORKDIR after `rm -rf libs ...`: nothing to import
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir()
    log = env.root / "service.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            env.image.cmd,
            cwd=run_dir,
            env=variables,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Running(process, log, f"http://127.0.0.1:{port}")


# Readiness reasons a service moves on from by itself; any other 503 reason is final
# (dd_service_kit.inference_app.ModelState: load failed, weights missing, bad calibration).
PASSING_REASONS = ("loading models", "warming up", None)


def wait_ready(
    running: Running, timeout_s: float, accept: tuple[int, ...]
) -> tuple[int, float, str | None]:
    """(last /readyz status, seconds, reason): returns at an accepted status, a final
    not-ready reason, the process's exit (status -1) or the timeout."""
    import httpx

    started = time.perf_counter()
    status, reason = 0, None
    while time.perf_counter() - started < timeout_s:
        if running.process.poll() is not None:
            return -1, time.perf_counter() - started, f"exited {running.process.returncode}"
        try:
            response = httpx.get(f"{running.url}/readyz", timeout=5)
            status, reason = response.status_code, response.json().get("reason")
            if status in accept or reason not in PASSING_REASONS:
                return status, time.perf_counter() - started, reason
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.5)
    return status, time.perf_counter() - started, reason or "timed out"


def exercise(service: str, running: Running) -> dict[str, Any]:
    """One real request of the kind the service exists for."""
    import httpx

    with httpx.Client(base_url=running.url, timeout=600) as client:
        if service == "fusion":
            response = client.post("/v1/fuse", json=FUSE_BODY)
            body = response.json()
            return {"status": response.status_code, "label": body.get("label")}
        media = SHARED_MEDIA / MEDIA[service]
        files = {"file": (media.name, media.read_bytes())}
        if service == "gateway":
            health = client.get("/healthz").status_code
            page = client.get("/")
            response = client.post("/v1/analyses", params={"wait": "true"}, files=files)
            body = response.json()
            modalities = body.get("modalities") or {}
            report = client.get(f"/v1/analyses/{body.get('id')}/report", params={"format": "pdf"})
            return {
                "status": response.status_code,
                "healthz": health,
                "dashboard": page.status_code,
                "label": (body.get("verdict") or {}).get("label"),
                "modalities": {k: v.get("status") for k, v in modalities.items()},
                "provenance": sorted((body.get("provenance") or {}).keys()),
                "pdf_report": f"{report.status_code} {report.headers.get('content-type')}",
            }
        response = client.post("/v1/analyze", files=files)
        body = response.json()
        return {
            "status": response.status_code,
            "result_status": body.get("status"),
            "fake_probability": body.get("fake_probability"),
            "type": body.get("type"),
        }


def never_loaded(
    dists: dict[str, dict[str, Any]], modules: set[str], mapped: set[str]
) -> list[dict[str, Any]]:
    """Distributions none of whose modules were imported and none of whose files were
    mapped (shared libraries), with who pulled them in; biggest first."""
    required_by: dict[str, list[str]] = {}
    for name, info in dists.items():
        for req in info["requires"]:
            base, extra = req.removesuffix("[extra]"), req.endswith("[extra]")
            required_by.setdefault(base, []).append(f"{name}[extra]" if extra else name)
    unused = []
    for name, info in dists.items():
        if name in BOOTSTRAP:
            continue
        if set(info["top"]) & modules or mapped.intersection(info["files"]):
            continue
        unused.append(
            {
                "name": name,
                "version": info["version"],
                "mb": round(info["size"] / 1e6, 1),
                "required_by": sorted(required_by.get(name, [])) or ["(requirement file)"],
            }
        )
    return sorted(unused, key=lambda d: -d["mb"])


def off_lock(dists: dict[str, dict[str, Any]], lock: Path) -> list[str]:
    """Installed versions that differ from requirements/lock.txt (what the tests ran with),
    or that the lock does not list; our own dd-* packages aside."""
    pins = {}
    for line in lock.read_text().splitlines():
        name, sep, version = line.split("#", 1)[0].strip().partition("==")
        if sep:
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version.strip()
    return sorted(
        f"{name} {info['version']} (lock: {pins.get(name, 'absent')})"
        for name, info in dists.items()
        if not name.startswith("dd-")
        and name not in BOOTSTRAP
        and pins.get(name) != info["version"]
    )


def build(service: str, root: Path) -> dict[str, Any]:
    """Steps 1-2 and the static half of 5: the venv, its size and ``pip check``."""
    env = prepare(service, root)
    env.root.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    result: dict[str, Any] = {"service": service, "ok": False, "notes": notes}
    install_log = env.root / "install.log"
    install_log.write_text("")
    try:
        calls = lay_out_and_record(env, notes)
        result.update(install(env, calls, install_log))
    except subprocess.CalledProcessError as error:
        result["error"] = f"install failed: {error}"
        result["log_tail"] = log_tail(install_log)
        return result
    dists = inventory(env.python)
    cuda = sum(d["size"] for n, d in dists.items() if CUDA_ONLY.match(n)) / 1e6
    result["venv_mb"] = round(dir_mb(env.venv))
    result["venv_mb_without_cuda"] = round(result["venv_mb"] - cuda)
    result["packages"] = len([n for n in dists if n not in BOOTSTRAP])
    result["off_lock"] = off_lock(dists, REPO / "requirements" / "lock.txt")
    pip_check = subprocess.run(
        [str(env.python), "-m", "pip", "check"], capture_output=True, text=True, check=False
    )
    result["pip_check"] = (pip_check.stdout + pip_check.stderr).strip()
    return result


def check(service: str, root: Path, models: Path, timeout_s: float) -> dict[str, Any]:
    """Steps 3-5 (under the machine-wide lock): start the service, use it, see what it
    loaded. ``build`` first."""
    env = prepare(service, root)
    result = json.loads((env.root / "build.json").read_text())
    notes: list[str] = result["notes"]
    dists = inventory(env.python)
    helpers: list[Running] = []
    reason = ""
    waited = time.perf_counter()
    with bench_lock():
        result["lock_wait_s"] = round(time.perf_counter() - waited, 1)
        extra: dict[str, str] = {}
        if service == "gateway":
            fusion = prepare("fusion", root)
            if fusion.python.exists():
                helper = start(fusion, models)
                helpers.append(helper)
                wait_ready(helper, 60, (200,))
                extra["GATEWAY_FUSION_URL"] = helper.url
            else:
                notes.append("no fusion venv: gateway /readyz answers 503 (fusion unreachable)")
        running = start(env, models, extra)
        try:
            accept = (200, 503) if service == "gateway" and not helpers else (200,)
            status, ready_s, why = wait_ready(running, timeout_s, accept)
            reason = why or ""
            result["readyz"] = status
            result["readyz_reason"] = reason
            result["readyz_s"] = round(ready_s, 1)
            if status in accept:
                started = time.perf_counter()
                result["request"] = exercise(service, running)
                result["request_s"] = round(time.perf_counter() - started, 1)
            result["peak_rss_mb"] = running.peak_rss_mb()
            mapped = running.mapped_files()
        except Exception as error:  # reported in the table, never hidden
            result["error"] = f"{type(error).__name__}: {error}"
            mapped = running.mapped_files()
        finally:
            running.stop()
            for helper in helpers:
                helper.stop()
    result["import_errors"] = import_errors(running.log)
    unused = never_loaded(dists, imported_modules(running.log), mapped)
    result["never_loaded"] = unused
    result["never_loaded_heavy"] = [
        f"{d['name']} {d['mb']} MB (from {', '.join(d['required_by'])})"
        for d in unused
        if d["mb"] >= HEAVY_MB
    ]
    request = result.get("request") or {}
    result["ok"] = (
        result.get("readyz") in ((200, 503) if service == "gateway" else (200,))
        and request.get("status") == 200
        and not result["import_errors"]
        and "error" not in result
    )
    if not result["ok"]:
        result["log_tail"] = log_tail(running.log)
        result["import_probe"] = import_probe(env.python, f"{reason}\n{result['log_tail']}")
    return result


def pip_check_summary(output: str) -> str:
    """``pip check`` in a cell: ok, or which distributions' metadata is not met and how."""
    if not output or "No broken requirements" in output:
        return "ok"
    missing = sorted(set(re.findall(r"requires (\S+), which is not installed", output)))
    conflicts = sorted(set(re.findall(r"^(\S+) \S+ has requirement", output, re.M)))
    parts = [f"{', '.join(missing)} not installed"] if missing else []
    parts += [f"{', '.join(conflicts)}: other versions pinned"] if conflicts else []
    return "; ".join(parts) or output.splitlines()[0]


def table(results: list[dict[str, Any]]) -> str:
    head = (
        "| service | ok | install s | venv MB (w/o CUDA) | packages | readyz s "
        "| request | peak RSS MB | pip check | never loaded, >= 5 MB |"
    )
    rows = [head, "|" + "---|" * 10]
    for r in results:
        request = r.get("request") or {}
        what = request.get("result_status") or request.get("label") or ""
        check_text = pip_check_summary(r.get("pip_check", ""))
        heavy = "; ".join(r.get("never_loaded_heavy", [])[:6]) or "-"
        rows.append(
            f"| {r['service']} | {'yes' if r['ok'] else 'NO'} | {r.get('install_s', '-')}"
            f"{' (reused)' if r.get('reused_venv') else ''} | {r.get('venv_mb', '-')} "
            f"({r.get('venv_mb_without_cuda', '-')}) | {r.get('packages', '-')} "
            f"| {r.get('readyz_s', '-')} | {request.get('status', '-')} {what} "
            f"({r.get('request_s', '-')} s) "
            f"| {round(r['peak_rss_mb']) if r.get('peak_rss_mb') else '-'} | {check_text} "
            f"| {heavy} |"
        )
    return "\n".join(rows)


def write_results(out: Path, results: list[dict[str, Any]], seconds: float) -> None:
    """Merge into the file (services not checked this time keep their last result)."""
    previous = json.loads(out.read_text()) if out.exists() else {}
    merged = {**previous.get("services", {}), **{r["service"]: r for r in results}}
    out.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "substitution": "torch/torchvision from the local index (PyPI's CUDA builds), not "
        "download.pytorch.org/whl/cpu",
        "last_run_s": seconds,
        "services": merged,
    }
    out.write_text(json.dumps(document, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("services", nargs="*", help=f"some of {', '.join(SERVICES)} (default: all)")
    parser.add_argument("--root", type=Path, default=Path("/tmp/dd-image-envs"))
    parser.add_argument("--models-dir", type=Path, default=REPO / "models")
    parser.add_argument("--ready-timeout", type=float, default=600)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "image_envs.json")
    options = parser.parse_args(argv)
    services = options.services or list(SERVICES)
    unknown = set(services) - set(SERVICES)
    if unknown:
        parser.error(f"unknown service(s): {sorted(unknown)}")
    # fusion before the gateway: the gateway's check runs against it.
    services = sorted(services, key=SERVICES.index)
    started = time.perf_counter()
    results = []
    for service in services:  # every install first (outside the lock, niced)
        print(f"== {service}: install", flush=True)
        built = build(service, options.root)
        (options.root / service / "build.json").write_text(json.dumps(built))
    for service in services:
        print(f"== {service}: start and use", flush=True)
        built = json.loads((options.root / service / "build.json").read_text())
        if "error" in built:
            result = built
        else:
            models = options.models_dir.resolve()
            result = check(service, options.root, models, options.ready_timeout)
        results.append(result)
        write_results(options.out, results, round(time.perf_counter() - started, 1))
        if not result["ok"]:
            print(f"{service} FAILED: {result.get('error', '')} {result.get('readyz_reason', '')}")
            print("\n".join(result.get("import_errors", [])))
            for module, error in (result.get("import_probe") or {}).items():
                print(f"import {module}: {error}")
            print(result.get("log_tail", ""))
    total = round(time.perf_counter() - started, 1)
    write_results(options.out, results, total)
    print(table(results))
    print(f"total {total} s; details in {options.out}")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
