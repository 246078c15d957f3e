"""docker-compose.yml and its variant files: valid for the Compose v2 CLI, and every
long-running service has a health check, a pinned image, resource limits, cores that
match its thread counts, and no secret written in the file."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.tools import REPO, tool

COMPOSE = REPO / "docker-compose.yml"
VARIANTS = ["compose.xpu.yml", "compose.ipex.yml", "compose.postgres.yml"]
MODEL_SERVICES = {"image": "IMAGE", "audio": "AUDIO", "video": "VIDEO"}
# An image reference pinned to an exact release: name:1.2.3[-suffix] or name@sha256:...
PINNED = re.compile(r"^[\w./-]+(:\d+\.\d+(\.\d+)?[\w.-]*)?(@sha256:[0-9a-f]{64})?$")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY|PRIVATE", re.IGNORECASE)
# Dummy value for the interpolation the postgres file requires; never a real secret.
TEST_ENV = {"POSTGRES_PASSWORD": "test-only", "PATH": "/usr/bin:/bin"}


def _compose(*files: str, args: tuple[str, ...] = ("config",)) -> subprocess.CompletedProcess:
    binary = tool("docker-compose")
    flags = [f for name in ["docker-compose.yml", *files] for f in ("-f", str(REPO / name))]
    return subprocess.run(
        [binary, *flags, *args], cwd=REPO, env=TEST_ENV, capture_output=True, text=True
    )


def _resolved(*files: str) -> dict[str, Any]:
    out = _compose(*files, args=("config", "--format", "json"))
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_the_client_is_compose_v2() -> None:
    out = subprocess.run(
        [tool("docker-compose"), "version", "--short"], capture_output=True, text=True
    )
    major = int(out.stdout.strip().lstrip("v").split(".")[0])
    assert major >= 2, out.stdout


@pytest.mark.parametrize("variant", [None, *VARIANTS])
def test_compose_config_validates(variant: str | None) -> None:
    out = _compose(*([variant] if variant else []), args=("config", "--quiet"))
    assert out.returncode == 0, out.stderr


def test_compose_config_rejects_a_broken_file(tmp_path: Path) -> None:
    """The check above can fail: a service with an unknown key is refused."""
    broken = tmp_path / "broken.yml"
    broken.write_text("services:\n  gateway:\n    healthcheck: {tset: [CMD, true]}\n")
    binary = tool("docker-compose")
    out = subprocess.run(
        [binary, "-f", str(COMPOSE), "-f", str(broken), "config", "--quiet"],
        cwd=REPO, env=TEST_ENV, capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode != 0


@pytest.mark.parametrize("variant", [None, *VARIANTS])
def test_every_service_is_checked_pinned_and_limited(variant: str | None) -> None:
    config = _resolved(*([variant] if variant else []))
    for name, service in config["services"].items():
        assert PINNED.match(service["image"]), f"{name}: image {service['image']} not pinned"
        assert not service["image"].endswith(":latest")
        limits = service.get("deploy", {}).get("resources", {}).get("limits", {})
        assert limits.get("cpus") and limits.get("memory"), f"{name}: no CPU/memory limit"
        if service.get("restart") == "no":  # one-shot jobs (the models fetch) exit
            continue
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL"), f"{name}: no health check"


def test_startup_order_waits_for_health_and_the_models() -> None:
    config = _resolved()
    services = config["services"]
    gateway = services["gateway"]["depends_on"]
    for name in ("fusion", *MODEL_SERVICES):
        assert gateway[name]["condition"] == "service_healthy"
        assert services[name]["healthcheck"]["test"]
    for name in MODEL_SERVICES:
        assert services[name]["depends_on"]["models"]["condition"] == (
            "service_completed_successfully"
        )
        mounts = {m["target"]: m for m in services[name]["volumes"]}
        assert mounts["/models"]["source"] == "models" and mounts["/models"]["read_only"]
    assert {"models", "data"} <= set(config["volumes"])
    fetch = services["models"]
    assert any(m["target"] == "/models" and m["source"] == "models" for m in fetch["volumes"])
    assert "readyz" in " ".join(services["gateway"]["healthcheck"]["test"])


def _cpus(cpuset: str) -> int:
    count = 0
    for part in cpuset.split(","):
        low, _, high = part.partition("-")
        count += int(high or low) - int(low) + 1
    return count


@pytest.mark.parametrize("variant", [None, "compose.xpu.yml", "compose.ipex.yml"])
def test_model_services_use_as_many_threads_as_pinned_cores(variant: str | None) -> None:
    services = _resolved(*([variant] if variant else []))["services"]
    for name, prefix in MODEL_SERVICES.items():
        service = services[name]
        cores = _cpus(service["cpuset"])
        env = service["environment"]
        for key in (f"{prefix}_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            assert int(env[key]) == cores, f"{name}: {key}={env[key]} on {cores} cores"
        assert float(service["deploy"]["resources"]["limits"]["cpus"]) == cores
        # The fast allocator path is the default in containers too.
        assert "mmap_threshold" in env["GLIBC_TUNABLES"]


def test_cores_and_threads_follow_the_same_variable() -> None:
    """Changing DD_AUDIO_CPUS and DD_AUDIO_THREADS moves both together."""
    out = subprocess.run(
        [tool("docker-compose"), "-f", str(COMPOSE), "config", "--format", "json"],
        cwd=REPO, env={**TEST_ENV, "DD_AUDIO_CPUS": "4-7", "DD_AUDIO_THREADS": "4"},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    audio = json.loads(out.stdout)["services"]["audio"]
    assert audio["cpuset"] == "4-7" and audio["environment"]["OMP_NUM_THREADS"] == "4"


def test_xpu_variant_maps_the_gpu_and_asks_for_it() -> None:
    services = _resolved("compose.xpu.yml")["services"]
    for name in MODEL_SERVICES:
        devices = [d["source"] for d in services[name]["devices"]]
        assert devices == ["/dev/dri"]
        assert services[name]["environment"]["DD_ACCEL_DEVICE"] == "xpu"
        assert services[name]["build"]["args"]["TORCH_VARIANT"] == "xpu"


def test_ipex_variant_builds_the_ipex_image() -> None:
    services = _resolved("compose.ipex.yml")["services"]
    for name in MODEL_SERVICES:
        assert services[name]["build"]["dockerfile"] == "docker/ipex.Dockerfile"
        assert services[name]["environment"]["DD_ACCEL_IPEX"] == "true"


def test_postgres_variant_runs_two_gateways_on_one_database_and_media_volume() -> None:
    services = _resolved("compose.postgres.yml")["services"]
    gateways = [services["gateway"], services["gateway-2"]]
    urls = {g["environment"]["GATEWAY_DATABASE_URL"] for g in gateways}
    assert len(urls) == 1 and next(iter(urls)).startswith("postgresql+psycopg://")
    assert len({g["environment"]["GATEWAY_REPLICA_ID"] for g in gateways}) == 2
    for g in gateways:
        data = next(m for m in g["volumes"] if m["target"] == g["environment"]["GATEWAY_DATA_DIR"])
        assert data["source"] == "media"
        assert g["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["postgres"]["healthcheck"]["test"]


def _raw(name: str) -> dict[str, Any]:
    return yaml.safe_load((REPO / name).read_text())


def literal_secrets(node: Any, path: str = "") -> list[str]:
    """Keys that look secret and hold a literal value (not ${VAR}, not a *_FILE path)."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}.{key}"
            literal = not (str(key).endswith("_FILE") or str(value).startswith("${"))
            if isinstance(value, str | int) and SECRET_NAME.search(str(key)) and literal:
                found.append(here)
            found += literal_secrets(value, here)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            found += literal_secrets(item, f"{path}[{i}]")
    return found


def literal_url_passwords(text: str) -> list[str]:
    return [
        m.group(0)
        for m in re.finditer(r"://[^/\s:@]+:([^@\s]+)@", text)
        if not m.group(1).startswith("${")
    ]


@pytest.mark.parametrize("name", ["docker-compose.yml", *VARIANTS])
def test_no_secret_is_written_in_the_files(name: str) -> None:
    """Secret-looking variables come from the environment (${VAR}) or a *_FILE, and URLs
    carry no literal password."""
    text = (REPO / name).read_text()
    assert literal_url_passwords(text) == []
    assert literal_secrets(yaml.safe_load(text)) == []


def test_the_secret_checks_can_fail() -> None:
    service = {"services": {"db": {"environment": {"POSTGRES_PASSWORD": "hunter2"}}}}
    assert literal_secrets(service) == [".services.db.environment.POSTGRES_PASSWORD"]
    assert literal_url_passwords("postgresql://dd:hunter2@db/dd") != []
    assert literal_url_passwords("postgresql://dd:${PW:?}@db/dd") == []
