"""`regscan serve` on the bench: started as the CLI subprocess on a free 127.0.0.1 port,
with images pushed to a basic-auth registry (its callers stop it by PID)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from regscan.common import harbor_api
from tests.bench import servers
from tests.bench.catalog import ALPINE, PYTHON
from tests.bench.images import build_image
from tests.bench.pusher import Pusher

TOKEN = "serve-token-123"
# repository (tag 1.0) -> content and platform; team/serve is scanned by test_serve only
IMAGES = {
    "team/app": (ALPINE, "linux/amd64"),
    "team/py": (PYTHON, "linux/amd64"),
    "team/serve": (ALPINE, "linux/arm64"),
}


@dataclass
class Served:
    url: str
    out: Path
    proc: subprocess.Popen[str]
    registry: servers.Registry
    digests: dict[str, str] = field(default_factory=dict)  # repository -> digest

    def client(self, token: str | None = TOKEN) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, trust_env=False)

    def scan_request(
        self, password: str | None = None, digest: str | None = None, repository: str = "team/serve"
    ) -> dict[str, Any]:
        user, real = self.registry.auth or ("", "")
        basic = base64.b64encode(f"{user}:{password or real}".encode()).decode()
        return {
            "registry": {"url": self.registry.url, "authorization": f"Basic {basic}"},
            "artifact": {
                "repository": repository,
                "digest": digest or self.digests[repository],
                "tag": "1.0",
                "mime_type": harbor_api.OCI_MANIFEST,
            },
        }

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def push_images(registry: servers.Registry) -> dict[str, str]:
    pusher = Pusher(registry.url, auth=registry.auth)
    try:
        return {
            repo: pusher.push_image(repo, ["1.0"], build_image(content, platform))
            for repo, (content, platform) in IMAGES.items()
        }
    finally:
        pusher.close()


def start_serve(
    out: Path, cache: Path, trivy: str, *extra: str
) -> tuple[str, subprocess.Popen[str]]:
    port = servers.free_port()
    argv = [sys.executable, "-m", "regscan", "serve", "--listen", f"127.0.0.1:{port}"]
    argv += ["--output-dir", str(out), "--cache-dir", str(cache), "--skip-db-update"]
    argv += ["--trivy-binary", trivy, "--refresh-after", "1", *extra]
    env = {**os.environ, "REGSCAN_API_TOKEN": TOKEN}
    proc = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1, trust_env=False).status_code == 200:
                return url, proc
        except httpx.TransportError:
            time.sleep(0.2)
        if proc.poll() is not None:
            raise RuntimeError(f"regscan serve exited: {proc.stderr.read() if proc.stderr else ''}")
    proc.kill()
    raise RuntimeError("regscan serve did not answer /healthz within 60 s")
