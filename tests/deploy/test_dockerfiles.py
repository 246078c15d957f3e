"""docker/*.Dockerfile: hadolint clean, plus the rules this project holds itself to
(checked directly, so they hold even where hadolint is not installed): base images pinned
to an exact release, a non-root numeric USER, no ADD of URLs, apt lists removed in the
layer that made them, torch only from PyTorch's own wheel index (no CUDA wheels), and a
.dockerignore that keeps the build context to sources."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.deploy.tools import REPO, tool

DOCKERFILES = sorted((REPO / "docker").glob("*.Dockerfile"))
EXACT_TAG = re.compile(r"^[\w./-]+:\d+\.\d+\.\d+[\w.-]*(@sha256:[0-9a-f]{64})?$")


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined, current = [], ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        current += " " + stripped.rstrip("\\").strip()
        if not stripped.endswith("\\"):
            joined.append(current.strip())
            current = ""
    result = []
    for item in joined:
        word, _, rest = item.partition(" ")
        result.append((word.upper(), rest.strip()))
    return result


def rule_violations(path: Path) -> list[str]:
    found: list[str] = []
    steps = instructions(path)
    stages = [i for i, (word, _) in enumerate(steps) if word == "FROM"]
    aliases = set()
    for word, args in steps:
        if word == "FROM":
            image, *rest = args.split()
            if image not in aliases and not EXACT_TAG.match(image):
                found.append(f"FROM {image} is not pinned to an exact release")
            if len(rest) == 2 and rest[0].upper() == "AS":
                aliases.add(rest[1])
        if word == "ADD" and re.search(r"https?://", args):
            found.append("ADD of a URL (use a pinned, checked download in RUN)")
        if word == "RUN" and "apt-get install" in args:
            if "rm -rf /var/lib/apt/lists/*" not in args:
                found.append("apt-get install without removing /var/lib/apt/lists in the layer")
            if "--no-install-recommends" not in args:
                found.append("apt-get install without --no-install-recommends")
        torch_install = re.search(r"pip install[^&;]*\btorch\b", args)
        if word == "RUN" and torch_install and "download.pytorch.org/whl/" not in args:
            found.append("torch installed from PyPI (CUDA wheels) instead of PyTorch's index")
    final = steps[stages[-1] :] if stages else steps
    users = [args for word, args in final if word == "USER"]
    if not users:
        found.append("the final stage runs as root (no USER)")
    elif not re.fullmatch(r"[1-9]\d*(:[1-9]\d*)?", users[-1]):
        found.append(f"USER {users[-1]} is not a numeric non-root uid")
    return found


def test_there_is_one_image_per_app_and_variant() -> None:
    names = {p.name for p in DOCKERFILES}
    assert {
        "gateway.Dockerfile", "fusion.Dockerfile", "model.Dockerfile", "models.Dockerfile",
        "ipex.Dockerfile",
    } <= names  # fmt: skip


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_follows_the_project_rules(path: Path) -> None:
    assert rule_violations(path) == []


def test_the_rules_catch_bad_dockerfiles(tmp_path: Path) -> None:
    bad = tmp_path / "bad.Dockerfile"
    bad.write_text(
        "FROM python:3.11-slim\n"
        "ADD https://example.com/x.tgz /x.tgz\n"
        "RUN apt-get update && apt-get install -y curl\n"
        "RUN pip install torch==2.14.1\n"
    )
    problems = " | ".join(rule_violations(bad))
    for expected in ("not pinned", "ADD of a URL", "apt/lists", "CUDA wheels", "root"):
        assert expected in problems.replace("/var/lib/apt/lists", "apt/lists"), problems


def test_the_gateway_image_builds_the_dashboard_in_a_node_stage() -> None:
    steps = instructions(REPO / "docker" / "gateway.Dockerfile")
    froms = [args for word, args in steps if word == "FROM"]
    assert froms[0].startswith("node:") and froms[-1].startswith("python:")
    assert any(word == "RUN" and "npm ci" in args for word, args in steps)
    assert any(word == "COPY" and "--from=dashboard" in args for word, args in steps)


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_hadolint_is_clean(path: Path) -> None:
    out = subprocess.run(
        [tool("hadolint"), "--no-color", str(path)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr


# ----------------------------------------------------------------------------- context


def _pattern(line: str) -> tuple[re.Pattern[str], bool]:
    negate = line.startswith("!")
    body = line[1:] if negate else line
    body = body.strip("/")
    regex = ""
    i = 0
    while i < len(body):
        if body.startswith("**", i):
            regex += ".*"
            i += 2
        elif body[i] == "*":
            regex += "[^/]*"
            i += 1
        elif body[i] == "?":
            regex += "[^/]"
            i += 1
        else:
            regex += re.escape(body[i])
            i += 1
    return re.compile(rf"^{regex}(/.*)?$"), negate


def build_context(root: Path) -> list[str]:
    """Files Docker would send, per .dockerignore (last matching pattern wins)."""
    lines = [
        s for s in (x.strip() for x in (root / ".dockerignore").read_text().splitlines())
        if s and not s.startswith("#")
    ]  # fmt: skip
    patterns = [_pattern(x) for x in lines]

    def ignored(rel: str) -> bool:
        verdict = False
        for regex, negate in patterns:
            if regex.match(rel):
                verdict = not negate
        return verdict

    reincluded = [line[1:].strip("/") for line in lines if line.startswith("!")]
    sent: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        rel_dir = "" if rel_dir == "." else rel_dir
        keep = []
        for d in dirnames:
            rel = f"{rel_dir}/{d}".lstrip("/")
            # Prune what is ignored and cannot hold a re-included path.
            if ignored(rel) and not any(r.startswith(rel + "/") or r == rel for r in reincluded):
                continue
            keep.append(d)
        dirnames[:] = keep
        sent += [
            f"{rel_dir}/{f}".lstrip("/")
            for f in filenames
            if not ignored(f"{rel_dir}/{f}".lstrip("/"))
        ]
    return sent


def test_build_context_holds_sources_only() -> None:
    sent = build_context(REPO)
    tops = {path.split("/")[0] for path in sent}
    assert tops <= {"requirements", "libs", "services", "gateway", "fusion", "scripts",
                    "models", "frontend"}, tops  # fmt: skip
    assert "models/manifest.json" in sent and "scripts/fetch_models.py" in sent
    assert not [p for p in sent if p.startswith("models/") and p != "models/manifest.json"]
    assert not [p for p in sent if "node_modules" in p or "__pycache__" in p]
    assert not [p for p in sent if p.startswith("frontend/dist/")]
    size = sum((REPO / p).stat().st_size for p in sent)
    assert size < 20 * 1024 * 1024, f"build context {size / 1e6:.1f} MB"


def test_the_context_check_sees_an_unignored_file(tmp_path: Path) -> None:
    (tmp_path / ".dockerignore").write_text("**\n!src/\nsrc/*.bin\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("x")
    (tmp_path / "src" / "w.bin").write_text("x")
    (tmp_path / "secret.env").write_text("x")
    assert build_context(tmp_path) == ["src/a.py"]
