"""kind tier: `make kind-e2e` (tests/kind/e2e.sh) run as a user would, then its results checked.

Skips cleanly without kind, docker (an engine that answers) and kubectl. The script creates
the cluster from kind-config.yaml (or reuses one the user has), builds and loads both images,
deploys manifests/, an in-cluster registry with the sample images and the fixture Trivy DB,
applies tests/kind/sample-registry.yaml and waits for its scan summary. A cluster this tier
created is deleted afterwards; one that was there before is left as it was found.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLUSTER, CONTEXT, REGISTRY = "regscan", "kind-regscan", "kind-e2e"
pytestmark = pytest.mark.timeout(2400)


@contextlib.contextmanager
def _port_forward(target: str, port: int) -> Iterator[int]:
    """`kubectl port-forward` to a free local port, for the duration of the block."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        local = s.getsockname()[1]
    argv = ["kubectl", "--context", CONTEXT, "-n", "regscan-system", "port-forward", target,
            f"{local}:{port}"]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", local), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        yield local
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _kubectl(*args: str) -> str:
    return subprocess.run(
        ["kubectl", "--context", CONTEXT, *args], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture(scope="module")
def kind_e2e() -> Iterator[subprocess.CompletedProcess[str]]:
    for tool in ("kind", "docker", "kubectl"):
        if shutil.which(tool) is None:
            pytest.skip(f"kind tier: {tool} not found on PATH")
    if subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        pytest.skip("kind tier: docker is installed but no Docker engine answers")
    clusters = subprocess.run(["kind", "get", "clusters"], capture_output=True, text=True)
    existed = CLUSTER in clusters.stdout.split()
    env = {**os.environ, "PYTHON": sys.executable}
    proc = subprocess.run(
        ["bash", "tests/kind/e2e.sh"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    yield proc
    if not existed:
        subprocess.run(["kind", "delete", "cluster", "--name", CLUSTER], check=False)


def test_make_kind_e2e_scans_the_samples(kind_e2e: subprocess.CompletedProcess[str]) -> None:
    assert kind_e2e.returncode == 0, (kind_e2e.stdout[-3000:], kind_e2e.stderr[-3000:])
    assert "MinIO console:  http://127.0.0.1:9001" in kind_e2e.stdout
    status: dict[str, Any] = json.loads(
        _kubectl("-n", "default", "get", "registry", REGISTRY, "-o", "json")
    )["status"]
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "True"
    assert status["lastScan"]["images"] == 6 and status["lastScan"]["failed"] == 0
    assert status["vulnerabilities"]["total"] > 0

    from minio import Minio

    secret = json.loads(
        _kubectl("-n", "regscan-system", "get", "secret", "regscan-s3", "-o", "json")
    )
    keys = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    # MinIO's API is closed to other pods (NetworkPolicy) and has no NodePort: port-forward
    with _port_forward("service/minio", 9000) as port:
        client = Minio(f"127.0.0.1:{port}", keys["accessKey"], keys["secretKey"], secure=False)
        bucket, key = status["reports"].removeprefix("s3://").split("/", 1)
        index = json.loads(client.get_object(bucket, key).read())
    assert len(index["images"]) == 6
    assert index["totals"] == status["vulnerabilities"]
