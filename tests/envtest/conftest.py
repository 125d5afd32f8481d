"""envtest tier: a real kube-apiserver + etcd from KUBEBUILDER_ASSETS (skips without them)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.bench.servers import free_port, make_ca_and_cert


@dataclass
class ApiServer:
    url: str
    token: str
    ca_file: Path
    kubeconfig: Path


def _assets() -> Path:
    folder = os.environ.get("KUBEBUILDER_ASSETS")
    if not folder:
        pytest.skip("envtest: KUBEBUILDER_ASSETS is not set (needs kube-apiserver and etcd)")
    path = Path(folder)
    for binary in ("kube-apiserver", "etcd"):
        if not (path / binary).is_file():
            pytest.skip(f"envtest: {binary} not found in KUBEBUILDER_ASSETS={folder}")
    return path


@pytest.fixture(scope="session")
def apiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    assets = _assets()
    work = tmp_path_factory.mktemp("envtest")
    etcd_port, peer_port, api_port = free_port(), free_port(), free_port()
    etcd = subprocess.Popen(
        [
            str(assets / "etcd"),
            "--data-dir",
            str(work / "etcd"),
            "--listen-client-urls",
            f"http://127.0.0.1:{etcd_port}",
            "--advertise-client-urls",
            f"http://127.0.0.1:{etcd_port}",
            "--listen-peer-urls",
            f"http://127.0.0.1:{peer_port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    ca, cert, key = make_ca_and_cert(work)
    token = "envtest-admin-token"
    (work / "tokens.csv").write_text(f'{token},admin,admin,"system:masters"\n')
    subprocess.run(
        ["openssl", "genrsa", "-out", str(work / "sa.key"), "2048"], check=True, capture_output=True
    )
    log = open(work / "apiserver.log", "wb")  # noqa: SIM115 - lives as long as the server
    api = subprocess.Popen(
        [
            str(assets / "kube-apiserver"),
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
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"https://127.0.0.1:{api_port}"
    import ssl

    ctx = ssl.create_default_context(cafile=str(ca))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            r = httpx.get(
                f"{url}/readyz",
                verify=ctx,
                trust_env=False,
                headers={"Authorization": f"Bearer {token}"},
            )
            if r.status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    else:
        api.kill()
        etcd.kill()
        pytest.fail("kube-apiserver did not become ready in 60s")
    kubeconfig = work / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: envtest\n  cluster:\n"
        f"    server: {url}\n    certificate-authority: {ca}\n"
        "users:\n- name: admin\n  user:\n    token: " + token + "\n"
        "contexts:\n- name: envtest\n  context: {cluster: envtest, user: admin}\n"
        "current-context: envtest\n"
    )
    yield ApiServer(url, token, ca, kubeconfig)
    api.terminate()
    etcd.terminate()
    api.wait(20)
    etcd.wait(20)
