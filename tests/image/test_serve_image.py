"""Image tier: the `regscan serve` Deployment of manifests/components/serve, run from the
Job image in the container engine with its pod's user, read-only root, dropped
capabilities and volumes, against the bench's basic-auth registry, S3 and DB mirror.
A Harbor-style scan request gets the planted findings back.

Kubelet-only fields (ports, probes, pull policy) are left to the test: it probes
`/healthz` itself. The pod's addresses are the bench's: S3, the DB mirror
(`REGSCAN_DB_REPOSITORY`) and a free loopback port instead of 0.0.0.0:8080.
"""

from __future__ import annotations

import base64
import datetime as dt
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from regscan.common import harbor_api
from tests.bench import servers
from tests.bench.fakekube import FakeKube
from tests.bench.podrunner import engine_options, plan_pod
from tests.bench.serve import push_images
from tests.image.conftest import Images

pytestmark = pytest.mark.timeout(1800)  # the first test of the tier builds the images
ROOT = Path(__file__).resolve().parents[2]
OWN, TOKEN = "regscan-system", "image-tier-token"
KUBELET_ONLY = ("imagePullPolicy", "ports", "startupProbe", "livenessProbe", "readinessProbe")


def _deployment(image: str, port: int, overrides: dict[str, str]) -> dict[str, Any]:
    docs = yaml.safe_load_all((ROOT / "manifests/components/serve/serve.yaml").read_text())
    deploy: dict[str, Any] = next(d for d in docs if d and d["kind"] == "Deployment")
    (container,) = deploy["spec"]["template"]["spec"]["containers"]
    for key in KUBELET_ONLY:
        container.pop(key, None)
    container["image"] = image
    container["args"] = [a.replace("0.0.0.0:8080", f"127.0.0.1:{port}") for a in container["args"]]
    env = [e for e in container["env"] if e["name"] not in overrides]
    container["env"] = env + [{"name": k, "value": v} for k, v in overrides.items()]
    return deploy


def _secret(kube: FakeKube, name: str, data: dict[str, str]) -> None:
    kube.objects[("Secret", OWN, name)] = {"metadata": {"name": name}, "stringData": data}


def test_the_serve_deployment_scans_in_the_job_image(
    images: Images,
    s3: servers.S3Server,
    registry_basic: servers.Registry,
    trivy_db_ref: str,
    tmp_path: Path,
) -> None:
    digests = push_images(registry_basic)
    port = servers.free_port()
    bucket = f"img-serve-{dt.datetime.now().strftime('%H%M%S%f')}"
    overrides = {
        "REGSCAN_S3_ENDPOINT": s3.url,
        "REGSCAN_S3_BUCKET": bucket,
        "REGSCAN_DB_REPOSITORY": trivy_db_ref,
    }
    kube = FakeKube()
    _secret(kube, "regscan-serve", {"token": TOKEN})
    _secret(kube, "regscan-s3", {"accessKey": s3.access_key, "secretKey": s3.secret_key})
    plan = plan_pod(kube, _deployment(images.job.tag, port, overrides), tmp_path, None)
    name = f"regscan-serve-{port}"
    options = [o for o in engine_options(plan) if o != "--rm"]  # kept for its logs; rm below
    started = subprocess.run(
        ["docker", "run", "-d", "--name", name, *options, plan.image, *plan.args],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", **plan.env},
        timeout=120,
    )
    assert started.returncode == 0, started.stderr
    try:
        _scan_through_the_api(f"http://127.0.0.1:{port}", registry_basic, digests["team/app"], name)
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=60)


def _scan_through_the_api(url: str, registry: servers.Registry, digest: str, name: str) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30, trust_env=False) as http:
        deadline = time.monotonic() + 180
        while True:
            try:
                if http.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            state = subprocess.run(
                ["docker", "inspect", "-f", "{{.State.Running}}", name],
                capture_output=True,
                text=True,
            )
            if state.stdout.strip() != "true" or time.monotonic() > deadline:
                logs = subprocess.run(["docker", "logs", name], capture_output=True, text=True)
                pytest.fail(f"regscan serve never answered /healthz: {logs.stderr[-2000:]}")
            time.sleep(1)
        assert http.get("/api/v1/metadata", headers={"Authorization": ""}).status_code == 401
        user, password = registry.auth or ("", "")
        basic = base64.b64encode(f"{user}:{password}".encode()).decode()
        request = {
            "registry": {"url": registry.url, "authorization": f"Basic {basic}"},
            "artifact": {"repository": "team/app", "digest": digest, "tag": "1.0",
                         "mime_type": harbor_api.OCI_MANIFEST},
        }  # fmt: skip
        posted = http.post("/api/v1/scan", json=request)
        assert posted.status_code == 202, posted.text
        report_url = f"/api/v1/scan/{posted.json()['id']}/report"
        accept = {"Accept": harbor_api.VULN_1_1}
        while (answer := http.get(report_url, headers=accept)).status_code == 302:
            assert time.monotonic() < deadline, "the scan did not finish"
            time.sleep(int(answer.headers["Refresh-After"]))
        assert answer.status_code == 200, answer.text
        found = {v["id"] for v in answer.json()["vulnerabilities"]}
        assert {"CVE-2099-1001", "CVE-2099-1002"} <= found  # planted in the Alpine packages
