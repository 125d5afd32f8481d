"""`regscan serve` for real: the CLI as a subprocess on a free port, a basic-auth
registry, real Trivy with the fixture DB; every answer checked against the v1.2 schemas."""

from __future__ import annotations

import base64
import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from regscan.common import layout
from regscan.serve import mime
from tests.bench import servers
from tests.bench.catalog import ALPINE, PLANTED
from tests.bench.images import Pusher, build_image
from tests.harbor_api.schemas import validate

TOKEN = "serve-token-123"
ALPINE_CVES = {cve for cve, (distro, _, _) in PLANTED.items() if distro == "alpine"}


@dataclass
class Served:
    url: str
    out: Path
    proc: subprocess.Popen[str]
    registry: servers.Registry
    digest: str

    def client(self, token: str | None = TOKEN) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, trust_env=False)

    def scan_request(self, password: str | None = None, digest: str | None = None) -> dict:
        user, real = self.registry.auth or ("", "")
        basic = base64.b64encode(f"{user}:{password or real}".encode()).decode()
        return {
            "registry": {"url": self.registry.url, "authorization": f"Basic {basic}"},
            "artifact": {
                "repository": "team/app",
                "digest": digest or self.digest,
                "tag": "1.0",
                "mime_type": mime.OCI_MANIFEST,
            },
        }


def start_serve(
    out: Path, cache: Path, trivy: str, port: int, *extra: str
) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "regscan", "serve", "--listen", f"127.0.0.1:{port}"]
    argv += ["--output-dir", str(out), "--cache-dir", str(cache), "--skip-db-update"]
    argv += ["--trivy-binary", trivy, *extra]
    env = {**os.environ, "REGSCAN_API_TOKEN": TOKEN}
    proc = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
        if proc.poll() is not None:
            raise RuntimeError(f"regscan serve exited: {proc.stderr.read() if proc.stderr else ''}")
    proc.kill()
    raise RuntimeError("regscan serve did not answer /healthz within 60 s")


@pytest.fixture(scope="module")
def served(
    registry_basic: servers.Registry,
    trivy_cache: Path,
    trivy_bin: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Served]:
    pusher = Pusher(registry_basic.url, auth=registry_basic.auth)
    image = build_image(ALPINE, "linux/amd64")
    pusher.push_image("team/app", ["1.0"], image)
    pusher.close()
    out = tmp_path_factory.mktemp("serve-results")
    port = servers.free_port()
    proc = start_serve(out, trivy_cache, trivy_bin, port)
    yield Served(f"http://127.0.0.1:{port}", out, proc, registry_basic, image.digest)
    proc.terminate()
    proc.wait(timeout=10)


def poll(
    client: httpx.Client, scan_id: str, accept: str = mime.VULN_1_1, **params: str
) -> tuple[httpx.Response, int]:
    """The first non-302 answer, and how many 302s (with an integer Refresh-After) came first."""
    for redirects in range(300):
        r = client.get(f"/api/v1/scan/{scan_id}/report", headers={"Accept": accept}, params=params)
        if r.status_code != 302:
            return r, redirects
        assert int(r.headers["Refresh-After"]) > 0
        time.sleep(0.2)
    raise AssertionError("still 302 after 60 s")


def test_token_required(served: Served) -> None:
    for token in (None, "wrong"):
        with served.client(token) as c:
            r = c.get("/api/v1/metadata")
        assert r.status_code == 401 and r.headers["content-type"] == mime.ERROR
        validate(r.json(), "ErrorResponse")
    with served.client(None) as c:
        key = c.get("/api/v1/metadata", headers={"X-ScannerAdapter-API-Key": TOKEN})
        assert key.status_code == 200
        assert c.get("/healthz").status_code == 200


def test_metadata(served: Served) -> None:
    with served.client() as c:
        r = c.get("/api/v1/metadata")
    assert r.status_code == 200 and r.headers["content-type"] == mime.METADATA
    doc = r.json()
    validate(doc, "ScannerAdapterMetadata")
    assert doc["scanner"]["name"] == "trivy"
    assert doc["properties"]["harbor.scanner-adapter/vulnerability-database-updated-at"]
    assert {c["type"] for c in doc["capabilities"]} == {"vulnerability", "sbom"}


def test_scan_flow(served: Served) -> None:
    with served.client() as c:
        r = c.post(
            "/api/v1/scan",
            json=served.scan_request(),
            headers={"Content-Type": mime.SCAN_REQUEST + "; version=1.1"},
        )
        assert r.status_code == 202 and r.headers["content-type"] == mime.SCAN_RESPONSE
        validate(r.json(), "ScanResponse")
        scan_id = r.json()["id"]
        report, redirects = poll(c, scan_id)
        assert redirects >= 1  # Trivy takes seconds: Harbor is told to come back
        assert report.status_code == 200 and report.headers["content-type"] == mime.VULN_1_1
        doc = report.json()
        validate(doc, "HarborVulnerabilityReport")
        dt.datetime.fromisoformat(doc["generated_at"])
        assert {v["id"] for v in doc["vulnerabilities"]} == ALPINE_CVES
        want = {cve: PLANTED[cve][2].title() for cve in ALPINE_CVES}
        assert {v["id"]: v["severity"] for v in doc["vulnerabilities"]} == want
        assert doc["severity"] == "Critical"
        assert doc["artifact"] == {"repository": "team/app", "digest": served.digest, "tag": "1.0"}

        legacy = c.get(f"/api/v1/scan/{scan_id}/report", headers={"Accept": mime.VULN_1_0})
        assert legacy.status_code == 200 and legacy.headers["content-type"] == mime.VULN_1_0
        validate(legacy.json(), "HarborVulnerabilityReport")

        sbom = c.get(
            f"/api/v1/scan/{scan_id}/report",
            headers={"Accept": mime.SBOM},
            params={"sbom_media_type": mime.SPDX},
        )
        assert sbom.status_code == 200 and sbom.headers["content-type"] == mime.SBOM
        validate(sbom.json(), "HarborSbomReport")
        assert sbom.json()["sbom"]["spdxVersion"].startswith("SPDX-")

        for accept, params, status in [
            ("text/html", {}, 501),
            (mime.SBOM, {}, 400),
            (mime.SBOM, {"sbom_media_type": mime.CYCLONEDX}, 501),
        ]:
            bad = c.get(f"/api/v1/scan/{scan_id}/report", headers={"Accept": accept}, params=params)
            assert bad.status_code == status and bad.headers["content-type"] == mime.ERROR
            validate(bad.json(), "ErrorResponse")

        # The same digest again: the store's current report answers at once, no 302.
        again = c.post("/api/v1/scan", json=served.scan_request())
        first = c.get(f"/api/v1/scan/{again.json()['id']}/report")
        assert (
            first.status_code == 200 and first.json()["vulnerabilities"] == doc["vulnerabilities"]
        )
    password = (served.registry.auth or ("", ""))[1]
    for path in served.out.rglob("*"):
        if path.is_file():
            assert password.encode() not in path.read_bytes()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{", 400),
        (b'{"registry": {"url": "x"}, "artifact": {"repository": "a", "digest": "sha256:1"}}', 422),
        (
            b'{"registry": {"url": "http://h"}, "artifact": {"repository": "a", "digest": "sha256:'
            + b"a" * 64
            + b'", "mime_type": "application/vnd.oci.image.index.v1+json"}}',
            501,
        ),
    ],
)
def test_bad_requests(served: Served, body: bytes, status: int) -> None:
    with served.client() as c:
        r = c.post("/api/v1/scan", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == status and r.headers["content-type"] == mime.ERROR
    validate(r.json(), "ErrorResponse")


def test_unknown_id_and_failed_scan(served: Served) -> None:
    with served.client() as c:
        r = c.get("/api/v1/scan/no-such-id/report")
        assert r.status_code == 404
        validate(r.json(), "ErrorResponse")
        missing = "sha256:" + "0" * 64  # wrong password and no such manifest: the scan fails
        posted = c.post("/api/v1/scan", json=served.scan_request("wrong-pw-777", missing))
        assert posted.status_code == 202
        failed, _ = poll(c, posted.json()["id"])
        assert failed.status_code == 500 and failed.headers["content-type"] == mime.ERROR
        validate(failed.json(), "ErrorResponse")
        assert "wrong-pw-777" not in failed.text
        metrics = c.get("/metrics").text
    assert 'regscan_serve_scans_total{outcome="failed"}' in metrics
    assert not (served.out / layout.report_key(missing)).exists()
