"""A real kube-apiserver + etcd from KUBEBUILDER_ASSETS, for the envtest tier and the
controller benchmark (does I/O: starts and stops processes, HTTP).

`running_apiserver(assets, work)` yields an `ApiServer` once /readyz answers and
stops both processes on exit: SIGTERM, a wait, then SIGKILL — the API server first
(it does not exit promptly once etcd is gone), and never raising.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.bench.servers import free_port, make_ca_and_cert


class ApiServerError(Exception):
    """The API server could not be started; the message says why."""


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


def missing_assets() -> str:
    """Why the real API server cannot run here ('' when it can)."""
    folder = os.environ.get("KUBEBUILDER_ASSETS")
    if not folder:
        return "KUBEBUILDER_ASSETS is not set (needs kube-apiserver and etcd)"
    for binary in ("kube-apiserver", "etcd"):
        if not (Path(folder) / binary).is_file():
            return f"{binary} not found in KUBEBUILDER_ASSETS={folder}"
    return ""


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
                raise ApiServerError(f"kube-apiserver exited with {api.returncode}:\n{tail}")
            with contextlib.suppress(httpx.HTTPError):
                if http.get("/readyz", timeout=5).status_code == 200:
                    return
            time.sleep(0.5)
    raise ApiServerError(f"kube-apiserver was not ready within 90 s (log: {log})")


@contextlib.contextmanager
def running_apiserver(assets: Path, work: Path) -> Iterator[ApiServer]:
    etcd_port, api_port = free_port(), free_port()
    procs: list[subprocess.Popen[bytes]] = []
    log = work / "apiserver.log"
    with open(log, "wb") as log_file:
        try:
            procs.append(_etcd(assets / "etcd", work, etcd_port))
            ca, cert, key = make_ca_and_cert(work)
            token = "envtest-admin-token"
            (work / "tokens.csv").write_text(f'{token},admin,admin,"system:masters"\n')
            subprocess.run(
                ["openssl", "genrsa", "-out", str(work / "sa.key"), "2048"],
                check=True,
                capture_output=True,
            )
            args = _apiserver_args(work, etcd_port, api_port, cert, key)
            binary = str(assets / "kube-apiserver")
            procs.append(subprocess.Popen([binary, *args], stdout=log_file, stderr=log_file))
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


def job_done_status(completions: int = 1, indexed: bool = False) -> dict[str, Any]:
    """The status the Job controller writes when a Job succeeds (conditions in order)."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    conditions = [
        {"type": t, "status": "True", "lastProbeTime": now, "lastTransitionTime": now}
        for t in ("SuccessCriteriaMet", "Complete")
    ]
    status: dict[str, Any] = {
        "startTime": now,
        "completionTime": now,
        "succeeded": completions,
        "conditions": conditions,
    }
    if indexed:
        status["completedIndexes"] = "0" if completions == 1 else f"0-{completions - 1}"
    return status


def finish_job(server: ApiServer, namespace: str, name: str, completions: int = 1) -> None:
    """Play the Job controller (there is none here): mark the Job Complete."""
    with server.http() as http:
        path = f"/apis/batch/v1/namespaces/{namespace}/jobs/{name}/status"
        indexed = http.get(path).json().get("spec", {}).get("completionMode") == "Indexed"
        answer = http.patch(
            path,
            json={"status": job_done_status(completions, indexed)},
            headers={"Content-Type": "application/merge-patch+json"},
        )
    if answer.status_code != 200:
        raise ApiServerError(f"Job {name} status: HTTP {answer.status_code}: {answer.text[:300]}")
