"""deploy/k8s: every overlay renders with kustomize, validates against the Kubernetes
schemas (kubernetes-validate's offline copies, strict), and the workloads carry what a
cluster needs: probes, requests and limits, non-root, autoscaling for the models."""

from __future__ import annotations

import functools
import re
import subprocess
from typing import Any

import pytest
import yaml

from tests.deploy.tools import REPO, tool

K8S = REPO / "deploy" / "k8s"
OVERLAYS = ["dev", "production"]
KUBERNETES_VERSION = "1.33.0"
MODEL_SERVICES = {"image": "IMAGE", "audio": "AUDIO", "video": "VIDEO"}
OUR_SERVICES = {"gateway", "fusion", *MODEL_SERVICES}
WORKLOADS = {"Deployment", "StatefulSet", "Job"}


@functools.cache
def render(overlay: str) -> tuple[dict[str, Any], ...]:
    out = subprocess.run(
        [tool("kubectl"), "kustomize", str(K8S / "overlays" / overlay)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    return tuple(d for d in yaml.safe_load_all(out.stdout) if d)


def _validate(document: dict[str, Any]) -> None:
    kubernetes_validate = pytest.importorskip(
        "kubernetes_validate", reason="pip install -r requirements/deploy-tools.txt"
    )
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def _of(overlay: str, kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in render(overlay) if d["kind"] == kind}


def _pod(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["spec"]["template"]["spec"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_and_every_object_validates(overlay: str) -> None:
    docs = render(overlay)
    kinds = {d["kind"] for d in docs}
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "Job"} <= kinds
    assert {"PersistentVolumeClaim"} <= kinds
    for doc in docs:
        _validate(doc)


def test_validation_catches_a_misspelt_field() -> None:
    """Strict schema validation is not a no-op."""
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    bad = dict(_of("dev", "Deployment")["fusion"])
    bad = {**bad, "spec": {**bad["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_has_probes_requests_and_limits(overlay: str) -> None:
    for doc in render(overlay):
        if doc["kind"] not in WORKLOADS:
            continue
        pod = _pod(doc)
        for container in [*pod.get("initContainers", []), *pod["containers"]]:
            where = f"{doc['metadata']['name']}/{container['name']}"
            resources = container.get("resources", {})
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(bound, {})), f"{where}: {bound}"
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
        if doc["kind"] == "Job":
            continue
        for container in pod["containers"]:
            where = f"{doc['metadata']['name']}/{container['name']}"
            assert container.get("readinessProbe") and container.get("livenessProbe"), where
        assert pod["securityContext"]["runAsNonRoot"] is True


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_our_services_probe_readyz_and_healthz(overlay: str) -> None:
    deployments = _of(overlay, "Deployment")
    assert set(deployments) >= OUR_SERVICES
    for name in OUR_SERVICES:
        container = _pod(deployments[name])["containers"][0]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        image = container["image"]
        assert re.search(r":\d+\.\d+\.\d+$|@sha256:", image), f"{name}: {image} not pinned"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_model_services_autoscale_on_cpu_with_threads_matching_their_cores(
    overlay: str,
) -> None:
    deployments, hpas = _of(overlay, "Deployment"), _of(overlay, "HorizontalPodAutoscaler")
    for name, prefix in MODEL_SERVICES.items():
        hpa = hpas[name]
        assert hpa["spec"]["scaleTargetRef"]["name"] == name
        assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
        assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
        pod = _pod(deployments[name])
        container = pod["containers"][0]
        env = {e["name"]: e.get("value") for e in container["env"]}
        cores = int(container["resources"]["limits"]["cpu"])
        for key in (f"{prefix}_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            assert int(env[key]) == cores, f"{name}: {key}"
        # Weights: filled by an init container from the pinned manifest, mounted read-only.
        assert pod["initContainers"][0]["name"] == "models"
        mount = next(m for m in container["volumeMounts"] if m["mountPath"] == "/models")
        assert mount["readOnly"] is True


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_fast_allocator_is_the_default_in_the_cluster(overlay: str) -> None:
    config = next(
        d for d in render(overlay) if d["kind"] == "ConfigMap" and "GLIBC_TUNABLES" in d["data"]
    )
    assert "mmap_threshold=1073741824" in config["data"]["GLIBC_TUNABLES"]
    for name in MODEL_SERVICES:
        refs = _pod(_of(overlay, "Deployment")[name])["containers"][0]["envFrom"]
        assert {"configMapRef": {"name": config["metadata"]["name"]}} in refs


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_gateway_replicas_share_postgres_and_media_and_migrate_first(overlay: str) -> None:
    gateway = _of(overlay, "Deployment")["gateway"]
    assert gateway["spec"]["replicas"] >= 2
    pod = _pod(gateway)
    assert pod["initContainers"][0]["name"] == "migrate"
    env = {e["name"]: e for e in pod["containers"][0]["env"]}
    url = env["GATEWAY_DATABASE_URL"]
    assert "secretKeyRef" in url.get("valueFrom", {}) or "$(POSTGRES_PASSWORD)" in url["value"]
    assert env["GATEWAY_REPLICA_ID"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    media = next(v for v in pod["volumes"] if v["name"] == "media")
    claim = _of(overlay, "PersistentVolumeClaim")[media["persistentVolumeClaim"]["claimName"]]
    modes = claim["spec"]["accessModes"]
    # Production: replicas on several nodes need ReadWriteMany; dev is one node.
    assert modes == (["ReadWriteMany"] if overlay == "production" else ["ReadWriteOnce"])


def test_dev_runs_postgres_and_production_expects_a_managed_one() -> None:
    assert "postgres" in _of("dev", "StatefulSet")
    assert "postgres" not in _of("production", "StatefulSet")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_secret_is_written_in_the_manifests(overlay: str) -> None:
    for doc in render(overlay):
        assert doc["kind"] != "Secret", "secrets are created out of band (docs/deploy.md)"
        text = yaml.safe_dump(doc)
        for match in re.finditer(r"://[^/\s:@]+:([^@\s]+)@", text):
            assert match.group(1).startswith("$("), f"literal password in {doc['kind']}"
