"""The `harbor` adapter against the reference Harbor scanner adapter (goharbor/harbor-scanner-
trivy, Go, not buildable here), replayed from its recorded answers
(tests/harbor_api/reference_trivy/, tests/bench/harbor_replay.py): a real registry with the
bench image, the CLI as a user runs it, its quirks (302 with only `Location`, errors typed
without `+json`, Trivy's log as a failed scan's message, CVSS under vendor_attributes)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from job_images.scanning import artifacts
from job_images.scanning.adapters import harbor_remote_docs as docs
from job_images.scanning.adapters.base import AdapterError, AdapterSettings
from job_images.scanning.adapters.harbor_remote import HarborRemoteAdapter
from job_images.scanning.scanner import ImageRef
from job_images.store.backends import FilesystemStore
from regscan.common import harbor_api
from regscan.common.reports import RunIndex
from tests.bench import servers
from tests.bench.catalog import ALPINE
from tests.bench.harbor_replay import FIXTURES, ReplayServer
from tests.bench.images import build_image
from tests.bench.pusher import Pusher
from tests.integration.helpers import adapter as trivy_adapter
from tests.integration.helpers import regscan

RECORDED = json.loads((FIXTURES / "responses.json").read_text())["responses"]


@pytest.fixture
def image(tmp_path: Path) -> Iterator[ImageRef]:
    """The bench image the recording was made from, in a registry of its own."""
    registry = servers.start_registry(tmp_path / "registry")
    pusher = Pusher(registry.url)
    digest = pusher.push_image("team/app", ["1.0"], build_image(ALPINE))
    pusher.close()
    try:
        yield ImageRef(registry.url, registry.host, "team/app", digest, ("1.0",))
    finally:
        registry.stop()


def test_cli_scan_against_the_reference(
    image: ImageRef, tmp_path: Path, trivy_cache: Path, trivy_bin: str
) -> None:
    replay = ReplayServer("scan")
    out = tmp_path / "out"
    try:
        proc = regscan(
            "scan", "--registry", image.registry_url, "--repository", "team/app",
            "--output-dir", str(out), "--scanner", "harbor", "--scanner-url", replay.url,
            env={"REGSCAN_SCANNER_TOKEN": "ignored-by-the-reference"},
        )  # fmt: skip
    finally:
        replay.stop()
    assert replay.mismatches == [] and replay.steps_left == 0, replay.mismatches
    assert proc.returncode == 0, proc.stderr
    index = RunIndex.model_validate_json((out / "runs" / "latest.json").read_bytes())
    assert index.failed == 0 and [i.digest for i in index.images] == [image.digest]

    store = FilesystemStore(out)
    report = artifacts.load_report(store, image.digest)
    assert report is not None
    meta = RECORDED["metadata"]["json"]
    assert (report.scanner.name, report.scanner.version) == ("Trivy", "0.72.0")
    assert report.scanner.db_updated_at == meta["properties"][docs.DB_UPDATED]
    found = [
        (v.id, v.package, v.installed_version, v.fixed_version, v.severity, v.score, v.links)
        for v in report.vulnerabilities
    ]
    assert found == [  # most severe first; the score from vendor_attributes.CVSS.nvd.V3Score
        ("CVE-2099-1002", "zlib", "1.2.13-r1", "1.2.13-r2", "CRITICAL", 9.8,
         ["https://avd.aquasec.com/nvd/cve-2099-1002"]),
        ("CVE-2099-1001", "libcrypto3", "3.1.4-r0", "3.1.5-r0", "HIGH", 7.5,
         ["https://avd.aquasec.com/nvd/cve-2099-1001"]),
    ]  # fmt: skip
    assert report.vulnerabilities[0].title == "Fixture advisory CVE-2099-1002 for zlib."
    # The same findings as regscan's own Trivy adapter on the same image and DB.
    direct = trivy_adapter(FilesystemStore(tmp_path / "t"), trivy_cache, trivy_bin)
    mine = direct.scan_image(image, None).report
    key = [(v.id, v.package, v.installed_version, v.fixed_version, v.severity, v.score)
           for v in mine.vulnerabilities]  # fmt: skip
    assert key == [f[:6] for f in found] and mine.summary == report.summary
    # The SBOM report's SPDX document is stored as the digest's SBOM.
    spdx = artifacts.load_sbom(store, image.digest)
    assert spdx is not None and json.loads(spdx) == json.loads((FIXTURES / "spdx.json").read_text())

    # No Refresh-After in the reference's 302s: the adapter waited its default between polls.
    polls = [s for s in replay.seen if s.path.startswith("/api/v1/scan/")]
    assert len(polls) == 5
    waits = [b.at - a.at for a, b in itertools.pairwise(polls)]
    vuln_waits, sbom_wait = waits[:2], waits[3]  # after each 302 (waits[2]: after the 200)
    assert min(*vuln_waits, sbom_wait) >= docs.DEFAULT_REFRESH * 0.95, waits
    posted = next(s for s in replay.seen if s.method == "POST")
    assert posted.headers["authorization"] == "Bearer ignored-by-the-reference"
    assert json.loads(posted.body)["registry"]["authorization"] == ""  # anonymous registry


@pytest.mark.parametrize(
    ("scenario", "code", "retry", "words"),
    [
        # the job's key expired in Redis: 404, resent once, 404 again
        ("expired", "ScanNotFound", True, "cannot find scan job: c07d5e2a91b84f36d2e8a4b1"),
        # Trivy failed: 500 with Trivy's whole log, read as one line with its innermost cause
        ("scan_failed", "ScannerUnavailable", True, "UNAUTHORIZED: authentication required"),
        # Redis down: the POST itself fails
        ("enqueue_failed", "ScannerUnavailable", True, "connect: connection refused"),
    ],
)
def test_reference_errors(
    image: ImageRef, tmp_path: Path, scenario: str, code: str, retry: bool, words: str
) -> None:
    replay = ReplayServer(scenario)
    remote = HarborRemoteAdapter(replay.url, timeout=30, env={})
    remote.configure(AdapterSettings(store=FilesystemStore(tmp_path)))
    try:
        with pytest.raises(AdapterError) as info:
            remote.scan_image(image, None)
    finally:
        replay.stop()
    assert replay.mismatches == [] and replay.steps_left == 0, replay.mismatches
    err = info.value
    assert (err.error_code, err.can_retry) == (code, retry)
    assert words in err.message and "\n" not in err.message and len(err.message) < 700
    assert artifacts.load_report(FilesystemStore(tmp_path), image.digest) is None


SCAN_PATH = "/api/v1/scan"
REPORT_PATH = "/api/v1/scan/3b1f0c9e6a2d47c58e91f0aa/report"
VULN_1_0 = "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0"


def _request(**capability: object) -> dict[str, object]:
    return {
        "registry": {"url": "http://127.0.0.1:5000", "authorization": ""},
        "artifact": {"repository": "team/app", "digest": "sha256:" + "a" * 64},
        "enabled_capabilities": [capability],
    }


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "why"),
    [
        ("POST", SCAN_PATH, {}, _request(type="vulnerability", produces_mime_types=[VULN_1_0]),
         "400: unsupported mime type"),
        ("POST", SCAN_PATH, {}, _request(type="sbom", produces_mime_types=[harbor_api.SBOM]),
         "422: SBOM media types"),
        ("POST", SCAN_PATH, {}, _request(type="license", produces_mime_types=[]),
         "400: enabled_capabilities.produces_mime_types is missing"),
        ("GET", REPORT_PATH, {"Accept": harbor_api.VULN_1_1.replace("; ", ";")}, None,
         "the reference answers 415"),
        ("GET", "/api/v1/scan/other-id/report", {}, None, "expected POST /api/v1/scan"),
    ],
)  # fmt: skip
def test_the_replay_refuses_what_the_reference_would(
    method: str, path: str, headers: dict[str, str], body: object, why: str
) -> None:
    """The replay is strict: a client that the reference would answer with an error (or
    that strays from the recorded sequence) gets a mismatch, so the tests above mean it."""
    replay = ReplayServer("scan")
    try:
        if path == REPORT_PATH:  # the report is asked for after its POST
            ok = _request(type="vulnerability", produces_mime_types=[harbor_api.VULN_1_1])
            accepted = httpx.post(replay.url + SCAN_PATH, json=ok, trust_env=False)
            assert accepted.status_code == 202
        r = httpx.request(method, replay.url + path, headers=headers, json=body, trust_env=False)
    finally:
        replay.stop()
    assert r.status_code == 500 and r.text.startswith("replay mismatch")
    assert len(replay.mismatches) == 1 and why in replay.mismatches[0], replay.mismatches
