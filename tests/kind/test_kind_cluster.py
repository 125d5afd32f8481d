"""kind tier: a real cluster from kind-config.yaml (skips cleanly without kind and docker)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def kind_cluster():  # type: ignore[no-untyped-def]
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


def test_cluster_node_is_ready(kind_cluster) -> None:  # type: ignore[no-untyped-def]
    out = kind_cluster.kubectl(
        "get", "nodes", "-o", "jsonpath={.items[*].status.conditions[-1].type}"
    )
    assert "Ready" in out
