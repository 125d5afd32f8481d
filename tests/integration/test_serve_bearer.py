"""`regscan serve` scanning a token-authenticated registry with the repository-scoped bearer
token Harbor hands its scanners (`registry.authorization: Bearer <token>`): real
docker-registry with `auth.token`, the bench token server, real Trivy with the fixture DB.
The token must reach Trivy only through the 0600 temporary DOCKER_CONFIG: never argv,
environment, logs, answers or stored files."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from regscan.common import harbor_api
from regscan.serve import mime
from tests.bench import servers
from tests.bench.catalog import ALPINE, DEBIAN, PLANTED
from tests.bench.faulty_trivy import write_recorder
from tests.bench.images import build_image
from tests.bench.pusher import Pusher
from tests.bench.serve import Served, start_serve
from tests.bench.tokenserver import TokenServer
from tests.harbor_api.schemas import validate

ROBOT = ("robot$scanner", "robot-pw-4711")
ALPINE_CVES = {cve for cve, (distro, _, _) in PLANTED.items() if distro == "alpine"}


@dataclass
class Bench:
    served: Served
    tokens: TokenServer
    digests: dict[str, str]
    calls: Path  # what the recording trivy wrapper saw


@pytest.fixture
def bench(tmp_path: Path, trivy_cache: Path, trivy_bin: str) -> Iterator[Bench]:
    data = tmp_path / "data"
    anon = servers.start_registry(tmp_path / "push", data_dir=data)
    try:
        pusher = Pusher(anon.url)
        digests = {
            "team/app": pusher.push_image("team/app", ["1.0"], build_image(ALPINE)),
            "team/other": pusher.push_image("team/other", ["1.0"], build_image(DEBIAN)),
        }
        pusher.close()
    finally:
        anon.stop()
    tokens = TokenServer(tmp_path, dict([ROBOT]), realm_host="localhost")
    registry = servers.start_registry(
        tmp_path / "token", data_dir=data, auth_config=tokens.registry_auth_config()
    )
    calls = tmp_path / "trivy-calls.log"
    trivy = write_recorder(tmp_path / "trivy", trivy_bin, calls)
    out = tmp_path / "out"
    url, proc = start_serve(out, trivy_cache, trivy)
    served = Served(url, out, proc, registry, digests)
    try:
        yield Bench(served, tokens, digests, calls)
    finally:
        served.stop()
        registry.stop()
        tokens.stop()


def _scan_request(bench: Bench, repository: str, token: str) -> dict[str, Any]:
    return {
        "registry": {"url": bench.served.registry.url, "authorization": f"Bearer {token}"},
        "artifact": {
            "repository": repository,
            "digest": bench.digests[repository],
            "tag": "1.0",
            "mime_type": harbor_api.OCI_MANIFEST,
        },
    }


def _report(client: httpx.Client, scan_id: str, **kw: Any) -> httpx.Response:
    for _ in range(300):
        r = client.get(f"/api/v1/scan/{scan_id}/report", **kw)
        if r.status_code != 302:
            return r
        time.sleep(0.2)
    raise AssertionError("still 302 after 60 s")


def test_bearer_registry_token(bench: Bench) -> None:
    token = bench.tokens.token_for(*ROBOT, "repository:team/app:pull")
    other = bench.tokens.token_for(*ROBOT, "repository:team/other:pull")
    with bench.served.client() as c:
        posted = c.post("/api/v1/scan", json=_scan_request(bench, "team/app", token))
        assert posted.status_code == 202, posted.text
        report = _report(c, posted.json()["id"], headers={"Accept": mime.VULN_1_1})
        assert report.status_code == 200, report.text
        validate(report.json(), "HarborVulnerabilityReport")
        assert {v["id"] for v in report.json()["vulnerabilities"]} == ALPINE_CVES
        sbom = _report(
            c,
            posted.json()["id"],
            headers={"Accept": mime.SBOM},
            params={"sbom_media_type": mime.SPDX},
        )
        assert sbom.status_code == 200 and sbom.json()["sbom"]["spdxVersion"].startswith("SPDX-")

        # A token for another repository does not pull this one: the scan fails, one line.
        refused = c.post("/api/v1/scan", json=_scan_request(bench, "team/other", token))
        failed = _report(c, refused.json()["id"])
        assert failed.status_code == 500 and failed.headers["content-type"] == mime.ERROR
        validate(failed.json(), "ErrorResponse")
        assert token not in failed.text and "\n" not in failed.json()["error"]["message"]
        # ... and the right one does (Trivy's registry client used the token as is).
        again = c.post("/api/v1/scan", json=_scan_request(bench, "team/other", other))
        assert _report(c, again.json()["id"]).status_code == 200
    bench.served.stop()
    stderr = bench.served.proc.stderr.read() if bench.served.proc.stderr else ""
    calls = bench.calls.read_text()
    assert "arg image" in calls and "env DOCKER_CONFIG=" in calls  # the wrapper saw the scans
    for secret in (token, other):
        assert secret not in calls  # neither an argument nor an environment variable
        assert secret not in stderr
        for path in bench.served.out.rglob("*"):
            assert not path.is_file() or secret.encode() not in path.read_bytes()
