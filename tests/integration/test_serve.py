"""`regscan serve` for real: the CLI as a subprocess on a free port, a basic-auth
registry, real Trivy with the fixture DB; every answer checked against the v1.2 schemas."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import httpx
import pytest

from regscan.common import layout
from regscan.serve import mime
from tests.bench.catalog import ALPINE, PLANTED
from tests.bench.cyclonedxschema import validate_cyclonedx
from tests.bench.images import Content, Package, build_image
from tests.bench.pusher import Pusher
from tests.bench.serve import TOKEN, Served, start_serve
from tests.harbor_api.schemas import validate

ALPINE_CVES = {cve for cve, (distro, _, _) in PLANTED.items() if distro == "alpine"}


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
    sbom = next(c for c in doc["capabilities"] if c["type"] == "sbom")
    assert sbom["additional_attributes"]["sbom_media_types"] == [mime.SPDX, mime.CYCLONEDX]


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
        assert doc["artifact"] == {
            "repository": "team/serve",
            "digest": served.digests["team/serve"],
            "tag": "1.0",
        }

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

        cdx_key = served.out / layout.cyclonedx_key(served.digests["team/serve"])
        assert not cdx_key.exists()  # rendered on the first request only
        cdx = c.get(
            f"/api/v1/scan/{scan_id}/report",
            headers={"Accept": mime.SBOM},
            params={"sbom_media_type": mime.CYCLONEDX},
        )
        assert cdx.status_code == 200 and cdx.headers["content-type"] == mime.SBOM
        validate(cdx.json(), "HarborSbomReport")
        assert cdx.json()["media_type"] == mime.CYCLONEDX
        bom = cdx.json()["sbom"]
        validate_cyclonedx(bom)  # the CycloneDX schema of its specVersion, strict
        assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"]
        components = {(p["name"], p.get("version")) for p in bom["components"]}
        assert {(p.name, p.version) for p in ALPINE.packages} <= components
        assert json.loads(cdx_key.read_bytes()) == bom  # kept beside the SPDX SBOM
        again_cdx = c.get(
            f"/api/v1/scan/{scan_id}/report",
            headers={"Accept": mime.SBOM},
            params={"sbom_media_type": mime.CYCLONEDX},
        )
        assert again_cdx.json()["sbom"] == bom  # the kept rendering, not a new one

        for accept, params, status in [
            ("text/html", {}, 501),
            (mime.SBOM, {}, 400),
            (mime.SBOM, {"sbom_media_type": "application/json"}, 400),
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


def test_queue_limit_answers_429(
    served: Served, trivy_cache: Path, trivy_bin: str, tmp_path: Path
) -> None:
    """One worker, one waiting slot: of three new digests posted at once, the third gets 429."""
    pusher = Pusher(served.registry.url, auth=served.registry.auth)
    digests = []
    for i in range(3):
        content = Content("alpine", "3.18.4", [Package("zlib", f"1.2.{i}-r9")])
        digests.append(pusher.push_image(f"team/q{i}", ["1.0"], build_image(content)))
    pusher.close()
    url, proc = start_serve(
        tmp_path, trivy_cache, trivy_bin, "--workers", "1", "--queue-limit", "1"
    )
    small = Served(url, tmp_path, proc, served.registry, {})
    try:
        with small.client() as c:
            answers = [
                c.post(
                    "/api/v1/scan",
                    json=small.scan_request(digest=d, repository=f"team/q{i}"),
                )
                for i, d in enumerate(digests)
            ]
            codes = [r.status_code for r in answers]
            assert codes == [202, 202, 429], codes  # one running, one waiting, one refused
            refused = answers[2]
            assert refused.headers["Retry-After"] and refused.headers["content-type"] == mime.ERROR
            validate(refused.json(), "ErrorResponse")
            assert 'outcome="rejected"' in c.get("/metrics").text
    finally:
        small.stop()
