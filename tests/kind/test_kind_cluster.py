"""kind tier: the whole product in a real cluster (skips cleanly without kind and docker).

Builds the image, loads it into a kind cluster from kind-config.yaml, deploys
manifests/ (CRD, RBAC, MinIO, controller), an in-cluster registry with the sample
images and the fixture Trivy DB, applies a Registry, waits for Ready and the counts,
and fetches the run index from MinIO through the kind port mapping.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
REGISTRY_YAML = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: registry, namespace: regscan-system}
spec:
  selector: {matchLabels: {app: registry}}
  template:
    metadata: {labels: {app: registry}}
    spec:
      containers:
        - {name: registry, image: "registry:2", ports: [{containerPort: 5000}]}
---
apiVersion: v1
kind: Service
metadata: {name: registry, namespace: regscan-system}
spec:
  selector: {app: registry}
  ports: [{port: 5000, targetPort: 5000}]
"""


@pytest.fixture(scope="module")
def kind_cluster() -> Iterator[Any]:
    # pytest-kind would download kind from the internet and ERROR offline: guard first.
    for tool in ("kind", "docker"):
        if shutil.which(tool) is None:
            pytest.skip(f"kind tier: {tool} not found on PATH")
    if subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        pytest.skip("kind tier: docker is installed but no Docker engine is running")
    from pytest_kind import KindCluster

    cluster = KindCluster("regscan-test")
    cluster.create(config_file=str(ROOT / "kind-config.yaml"))
    yield cluster
    cluster.delete()


def _wait(what: str, check: Any, timeout: float = 600) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(5)
    pytest.fail(f"kind tier: timed out waiting for {what}")


def test_cluster_node_is_ready(kind_cluster: Any) -> None:
    out = kind_cluster.kubectl(
        "get", "nodes", "-o", "jsonpath={.items[*].status.conditions[-1].type}"
    )
    assert "Ready" in out


def test_registry_scanned_in_cluster(kind_cluster: Any, tmp_path: Path) -> None:
    from tests.bench.catalog import fixture_db, push_samples
    from tests.bench.images import Pusher
    from tests.bench.trivydb import db_artifact_layer, write_db

    subprocess.run(
        ["docker", "build", "-f", "job_images/Dockerfile", "-t", "regscan:dev", "."],
        cwd=ROOT,
        check=True,
    )
    kind_cluster.load_docker_image("regscan:dev")
    manifests = tmp_path / "manifests"  # a copy: the credentials file stays out of the tree
    shutil.copytree(ROOT / "manifests", manifests, ignore=shutil.ignore_patterns("*.env"))
    secret = secrets.token_urlsafe(30)
    (manifests / "s3-credentials.env").write_text(f"accessKey=regscan\nsecretKey={secret}\n")
    kind_cluster.kubectl("apply", "-k", str(manifests))
    (tmp_path / "registry.yaml").write_text(REGISTRY_YAML)
    kind_cluster.kubectl("apply", "-f", str(tmp_path / "registry.yaml"))
    kind_cluster.kubectl(
        "-n",
        "regscan-system",
        "rollout",
        "status",
        "deploy/registry",
        "deploy/minio",
        "--timeout=300s",
    )
    with kind_cluster.port_forward("service/registry", 5000, "-n", "regscan-system") as port:
        pusher = Pusher(f"http://127.0.0.1:{port}")
        push_samples(pusher)
        write_db(fixture_db(), tmp_path / "cache")
        pusher.push_trivy_db("mirror/trivy-db", db_artifact_layer(tmp_path / "cache" / "db"))
        pusher.close()
    url = "http://registry.regscan-system.svc:5000"
    sample = {
        "apiVersion": "regscan.dev/v1alpha1",
        "kind": "Registry",
        "metadata": {
            "name": "in-cluster",
            "namespace": "default",
            "annotations": {"regscan.dev/scan-requested": "kind-1"},
        },
        "spec": {
            "url": url,
            "repositories": [{"name": "samples/*"}],
            "scanner": {"dbRepository": "registry.regscan-system.svc:5000/mirror/trivy-db"},
        },
    }
    (tmp_path / "reg.json").write_text(json.dumps(sample))
    kind_cluster.kubectl("apply", "-f", str(tmp_path / "reg.json"))

    def status() -> dict[str, Any]:
        out = kind_cluster.kubectl("get", "registry", "in-cluster", "-n", "default", "-o", "json")
        return dict(json.loads(out).get("status") or {})

    done = _wait("the scan summary", lambda: (status().get("lastScan") or {}).get("completionTime"))
    assert done
    final = status()
    ready = next(c for c in final["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "True"
    assert final["lastScan"]["images"] == 6 and final["lastScan"]["failed"] == 0
    assert final["vulnerabilities"]["total"] > 0
    from minio import Minio

    # the API is closed to other pods (NetworkPolicy); a port-forward reaches it from here
    with kind_cluster.port_forward("service/minio", 9000, "-n", "regscan-system") as port:
        client = Minio(f"127.0.0.1:{port}", "regscan", secret, secure=False)
        key = final["reports"].split("/", 3)[3]
        index = json.loads(client.get_object("regscan", key).read())
    assert len(index["images"]) == 6
