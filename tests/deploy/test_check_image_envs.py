"""The pure logic of scripts/check_image_envs.py: reading a Dockerfile, recording what its
RUN lines would install, and judging the environment afterwards. (The check itself
installs GBs and is run by hand: make image-envs.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.deploy.tools import REPO
from tests.script_loader import load_script

envs = load_script("check_image_envs")

TWO_STAGES = """\
FROM node:20 AS web
RUN npm ci
FROM python:3.11-slim
ARG SERVICE
ARG VARIANT=cpu
ENV A=1 \\
    # a comment line inside a continuation
    MODULE=dd_${SERVICE}
WORKDIR /app
COPY requirements/ requirements/
RUN apt-get update && useradd dd
RUN pip install --index-url "https://download.pytorch.org/whl/${VARIANT}" torch \\
    && if [ "$SERVICE" != audio ]; then pip install --no-deps -r requirements/nodeps.txt; fi
COPY --from=web /frontend/dist /app/dashboard
CMD ["/bin/sh", "-c", "exec python -m \\"$MODULE\\""]
"""


def test_the_plan_is_the_last_stage_with_args_env_and_pip_lines() -> None:
    plan = envs.plan(TWO_STAGES, {"SERVICE": "image"})
    assert plan.args == {"SERVICE": "image", "VARIANT": "cpu"}
    assert plan.env == {"A": "1", "MODULE": "dd_image"}
    assert plan.workdir == "/app"
    assert plan.cmd == ["/bin/sh", "-c", 'exec python -m "$MODULE"']
    copies = [s for s in plan.steps if not isinstance(s, str)]
    assert [(c.sources, c.destination, c.stage) for c in copies] == [
        (["requirements/"], "requirements/", None),
        (["/frontend/dist"], "/app/dashboard", "web"),
    ]
    runs = [s for s in plan.steps if isinstance(s, str)]
    assert len(runs) == 1 and "npm" not in runs[0]  # the Node stage is not this image
    assert plan.skipped_runs == ["apt-get update && useradd dd"]


@pytest.mark.parametrize(("service", "nodeps"), [("image", True), ("audio", False)])
def test_the_shell_logic_decides_what_is_recorded(
    tmp_path: Path, service: str, nodeps: bool
) -> None:
    plan = envs.plan(TWO_STAGES, {"SERVICE": service})
    record = tmp_path / "calls.rec"
    envs.run_recorded(plan.steps[1], tmp_path, plan.workdir, plan.args, record)
    calls = envs.recorded_calls(record)
    assert calls[0] == [
        "pip", "install", "--index-url", "https://download.pytorch.org/whl/cpu", "torch"
    ]  # fmt: skip
    assert (["pip", "install", "--no-deps", "-r", "requirements/nodeps.txt"] in calls) is nodeps
    assert len(calls) == (2 if nodeps else 1)


def test_recorded_file_commands_touch_nothing(tmp_path: Path) -> None:
    keep = tmp_path / "libs"
    keep.mkdir()
    record = tmp_path / "calls.rec"
    line = "grep -h . /app/x > /tmp/t.txt; rm -rf libs /tmp/t.txt && mkdir -p /data"
    (tmp_path / "x").write_text("torch==1\n")
    envs.run_recorded(line, tmp_path, "/app", {}, record)
    assert keep.is_dir() and (tmp_path / ".tmp" / "t.txt").read_text() == "torch==1\n"
    assert [c[0] for c in envs.recorded_calls(record)] == ["rm", "mkdir"]


def test_only_the_torch_index_is_dropped_on_replay() -> None:
    call = ["pip", "install", "--index-url", "https://download.pytorch.org/whl/cpu", "-r", "t"]
    argv, substituted = envs.pip_argv(call, Path("/v/bin/python"))
    assert substituted and argv[:5] == ["/v/bin/python", "-m", "pip", "install", "-r"]
    argv, substituted = envs.pip_argv(["pip", "install", "--no-deps", "x/"], Path("p"))
    assert not substituted and "--no-deps" in argv


def test_remap_paths_replaces_prefixes_once() -> None:
    mapping = {"/tmp/": "/tmp/dd/app/.tmp/", "/app/": "/tmp/dd/app/"}
    line = "grep x > /tmp/t.txt && cp /app/a b/app/c"
    assert envs.remap_paths(line, mapping) == (
        "grep x > /tmp/dd/app/.tmp/t.txt && cp /tmp/dd/app/a b/app/c"
    )


def test_requirement_files_follow_nested_includes(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("-r b.txt\nx==1\n")
    (tmp_path / "b.txt").write_text("-c c.txt  # pins\ny==2\n")
    (tmp_path / "c.txt").write_text("y==2\n")
    found = envs.requirement_files(["-r", "a.txt"], tmp_path)
    assert sorted(p.name for p in found) == ["a.txt", "b.txt", "c.txt"]


@pytest.mark.parametrize("service", envs.SERVICES)
def test_every_dockerfile_installs_our_packages_by_path(tmp_path: Path, service: str) -> None:
    """pip reads a bare folder name (``fusion``) as a package *name* and asks the index
    for it: each of our packages must be given as a path (``./fusion``, ``libs/x``)."""
    env = envs.prepare(service, tmp_path)
    shutil.copytree(REPO / "requirements", env.context / "requirements")
    record = env.root / "calls.rec"
    variables = {**env.image.args, **env.image.env}
    for step in env.image.steps:
        if isinstance(step, str):
            envs.run_recorded(step, env.context, env.image.workdir, variables, record)
    installs = [c for c in envs.recorded_calls(record) if c[:2] == ["pip", "install"]]
    own = installs[-1]  # the Dockerfiles install our packages last
    targets = [a for a in own[2:] if not a.startswith("-")]
    assert targets and all("/" in a or a.startswith(".") for a in targets), targets


def test_compose_values_take_the_default_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DD_X_THREADS", raising=False)
    assert envs.compose_value("${DD_X_THREADS:-2}") == "2"
    monkeypatch.setenv("DD_X_THREADS", "8")
    assert envs.compose_value("${DD_X_THREADS:-2}") == "8"


def test_never_loaded_counts_imports_and_mapped_libraries() -> None:
    dists = {
        "numpy": {"version": "2", "size": 30e6, "requires": [], "top": ["numpy"], "files": []},
        "nvidia-x": {
            "version": "1", "size": 900e6, "requires": [], "top": ["nvidia"],
            "files": ["/v/nvidia/x/lib/libx.so"],
        },
        "keras": {"version": "3", "size": 9e6, "requires": [], "top": ["keras"], "files": []},
        "tensorflow-cpu": {
            "version": "2", "size": 500e6, "requires": ["keras", "numpy"],
            "top": ["tensorflow"], "files": [],
        },
        "uvicorn": {
            "version": "0", "size": 1e6, "requires": ["pyyaml[extra]"], "top": ["uvicorn"],
            "files": [],
        },
        "pyyaml": {"version": "6", "size": 3e6, "requires": [], "top": ["yaml"], "files": []},
        "pip": {"version": "23", "size": 9e6, "requires": [], "top": ["pip"], "files": []},
    }  # fmt: skip
    unused = envs.never_loaded(dists, {"numpy", "uvicorn"}, {"/v/nvidia/x/lib/libx.so"})
    assert [(d["name"], d["required_by"]) for d in unused] == [
        ("tensorflow-cpu", ["(requirement file)"]),
        ("keras", ["tensorflow-cpu"]),
        ("pyyaml", ["uvicorn[extra]"]),
    ]


def test_off_lock_lists_versions_the_tests_did_not_run(tmp_path: Path) -> None:
    lock = tmp_path / "lock.txt"
    lock.write_text("# pins\nPyYAML==6.0.3\nnumpy==2.4.6\n")
    dists = {
        "pyyaml": {"version": "6.0.4"},
        "numpy": {"version": "2.4.6"},
        "idna": {"version": "3.21"},
        "dd-gateway": {"version": "0.1.0"},
    }
    assert envs.off_lock(dists, lock) == ["idna 3.21 (lock: absent)", "pyyaml 6.0.4 (lock: 6.0.3)"]


def test_pip_check_summary_names_what_is_not_met() -> None:
    assert envs.pip_check_summary("No broken requirements found.") == "ok"
    output = (
        "dd-eval 0.1.0 requires numpy, which is not installed.\n"
        "facenet-pytorch 2.6.0 has requirement torch<2.3.0,>=2.2.0, but you have torch 2.14.1.\n"
    )
    assert envs.pip_check_summary(output) == (
        "numpy not installed; facenet-pytorch: other versions pinned"
    )
