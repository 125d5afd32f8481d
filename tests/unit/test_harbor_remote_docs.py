"""The `harbor` adapter's documents (pure): ScanRequest, metadata, report mapping, errors,
including the reference Trivy adapter's quirks (tables)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from job_images.credentials import Credentials
from job_images.scanning.adapters import harbor_remote_docs as docs
from job_images.scanning.adapters.base import AdapterError
from job_images.scanning.adapters.harbor_remote import auth_headers
from job_images.scanning.scanner import ImageRef
from regscan.common import harbor_api
from regscan.common.errors import InvalidInput

DIGEST = "sha256:" + "cd" * 32
IMG = ImageRef("http://127.0.0.1:5000", "127.0.0.1:5000", "team/app", DIGEST, ("1.0", "latest"))


def test_scan_request_carries_basic_authorization() -> None:
    body = docs.scan_request(IMG, Credentials("robot", "pw:x"), sbom=True)
    value = body["registry"]["authorization"]
    assert value.startswith("Basic ")
    assert base64.b64decode(value[6:]).decode() == "robot:pw:x"
    assert body["registry"]["url"] == "http://127.0.0.1:5000"
    assert body["artifact"] == {
        "repository": "team/app",
        "digest": DIGEST,
        "tag": "1.0",
        "mime_type": harbor_api.OCI_MANIFEST,
    }
    assert [c["type"] for c in body["enabled_capabilities"]] == ["vulnerability", "sbom"]
    bearer = docs.scan_request(IMG, Credentials.bearer("eyJ.tok"), sbom=False)
    assert bearer["registry"]["authorization"] == "Bearer eyJ.tok"
    anon = docs.scan_request(IMG, None, sbom=False)
    assert anon["registry"]["authorization"] == ""
    assert [c["type"] for c in anon["enabled_capabilities"]] == ["vulnerability"]


# The reference Harbor Trivy adapter's /metadata (v1.0 shape: no capability type, no sbom).
TRIVY_ADAPTER_METADATA = {
    "scanner": {"name": "Trivy", "vendor": "Aqua Security", "version": "v0.50.1"},
    "capabilities": [
        {
            "consumes_mime_types": [harbor_api.OCI_MANIFEST, harbor_api.DOCKER_MANIFEST],
            "produces_mime_types": [harbor_api.VULN_1_0],
        }
    ],
    "properties": {
        "harbor.scanner-adapter/scanner-type": "os-package-vulnerability",
        "harbor.scanner-adapter/vulnerability-database-updated-at": "2026-11-20T06:10:23Z",
    },
}


@pytest.mark.parametrize(
    ("doc", "name", "db", "sbom"),
    [
        (TRIVY_ADAPTER_METADATA, "Trivy", "2026-11-20T06:10:23Z", False),
        (
            {
                "scanner": {"name": "trivy"},
                "capabilities": [
                    {
                        "type": "sbom",
                        "additional_attributes": {"sbom_media_types": [harbor_api.SPDX]},
                    }
                ],
            },
            "trivy",
            None,
            True,
        ),
        (
            {
                "scanner": {},
                "capabilities": [
                    {
                        "type": "sbom",
                        "additional_attributes": {"sbom_media_types": [harbor_api.CYCLONEDX]},
                    }
                ],
            },
            "harbor",
            None,
            False,
        ),
    ],
)
def test_remote_scanner(doc: dict, name: str, db: str | None, sbom: bool) -> None:
    remote = docs.remote_scanner(doc)
    assert (remote.info.name, remote.info.db_updated_at, remote.sbom) == (name, db, sbom)


@pytest.mark.parametrize("doc", [[], {"scanner": "x"}, {}])
def test_bad_metadata(doc: object) -> None:
    with pytest.raises(AdapterError) as info:
        docs.remote_scanner(doc)
    assert info.value.error_code == "BadResponse" and not info.value.can_retry


def test_findings_map_severities_and_dedupe() -> None:
    doc = {
        "vulnerabilities": [
            {
                "id": "CVE-1",
                "package": "zlib",
                "version": "1",
                "fix_version": "2",
                "severity": "Negligible",
                "description": "d",
                "links": ["https://x/1"],
                "preferred_cvss": {"score_v3": 3.1},
                "vendor_attributes": {"purl": "pkg:apk/zlib@1"},
            },
            {"id": "CVE-1", "package": "zlib", "version": "1", "severity": "Negligible"},
            {"id": "CVE-2", "package": "openssl", "version": "3", "severity": "Critical"},
            {"id": "CVE-3", "package": "a", "version": "1", "severity": "Bogus"},
            {"package": "no-id"},
            "not an object",
        ]
    }
    found = docs.findings(doc)
    assert [(v.id, v.severity) for v in found] == [
        ("CVE-2", "CRITICAL"),
        ("CVE-1", "LOW"),
        ("CVE-3", "UNKNOWN"),
    ]
    low = found[1]
    assert (low.fixed_version, low.title, low.score, low.purl, low.links) == (
        "2",
        "d",
        3.1,
        "pkg:apk/zlib@1",
        ["https://x/1"],
    )
    assert docs.findings({"vulnerabilities": None}) == []


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("5", 5.0),
        (None, docs.DEFAULT_REFRESH),
        ("", docs.DEFAULT_REFRESH),
        ("soon", docs.DEFAULT_REFRESH),
        ("0", 0.1),
        ("3600", docs.MAX_REFRESH),
    ],
)
def test_refresh_after(header: str | None, seconds: float) -> None:
    assert docs.refresh_after(header) == seconds  # a 302 with only Location: the default


@pytest.mark.parametrize(
    ("status", "body", "code", "retry", "text"),
    [
        (404, b"", "ScanNotFound", True, "no message"),
        (
            500,
            json.dumps({"error": {"message": "boom"}}).encode(),
            "ScannerUnavailable",
            True,
            "boom",
        ),
        (503, b"upstream down\nmore", "ScannerUnavailable", True, "upstream down"),
        (429, b"{}", "ScannerUnavailable", True, "HTTP 429"),
        (401, b"", "Unauthorized", False, "REGSCAN_SCANNER_TOKEN"),
        (
            422,
            json.dumps({"error": {"message": "bad digest"}}).encode(),
            "ScanRejected",
            False,
            "bad digest",
        ),
        (501, b'{"error": {}}', "ScanRejected", False, "HTTP 501"),
    ],
)
def test_http_errors(status: int, body: bytes, code: str, retry: bool, text: str) -> None:
    err = docs.http_error(status, body, "scan of x")
    assert (err.error_code, err.can_retry) == (code, retry) and text in err.message
    assert "\n" not in err.message


@pytest.mark.parametrize(
    ("item", "score"),
    [
        (
            {
                "preferred_cvss": {"score_v3": 3.1},
                "vendor_attributes": {"CVSS": {"nvd": {"V3Score": 9}}},
            },
            3.1,
        ),
        (
            {"vendor_attributes": {"CVSS": {"nvd": {"V3Score": 7.5}, "redhat": {"V3Score": 8.1}}}},
            8.1,
        ),
        ({"vendor_attributes": {"CVSS": {"nvd": {"V2Score": 5.0}}}}, None),
        ({"vendor_attributes": {"CVSS": "odd"}}, None),
        ({"vendor_attributes": {}}, None),
    ],
)
def test_score_from_preferred_cvss_else_the_reference_adapters_cvss_map(
    item: dict[str, object], score: float | None
) -> None:
    (found,) = docs.findings({"vulnerabilities": [{"id": "CVE-1", "package": "p", **item}]})
    assert found.score == score


REFERENCE = json.loads(
    (Path(__file__).resolve().parents[1] / "harbor_api/reference_trivy/responses.json").read_text()
)["responses"]


@pytest.mark.parametrize(
    ("name", "code", "retry"),
    [
        ("unparsable_scan_request", "ScanRejected", False),  # 400
        ("sbom_media_type_missing", "ScanRejected", False),  # 400
        ("unsupported_accept", "ScanRejected", False),  # 415, where the spec says 501
        ("invalid_scan_request", "ScanRejected", False),  # 422
        ("scan_job_expired", "ScanNotFound", True),  # 404: send the scan again
        ("scan_failed", "ScannerUnavailable", True),  # 500 with Trivy's whole log
        ("enqueue_failed", "ScannerUnavailable", True),  # 500, Redis down
    ],
)
def test_reference_adapter_errors(name: str, code: str, retry: bool) -> None:
    """The reference Trivy adapter's recorded errors (typed `…adapter.error; version=1.0`,
    no `+json`): the message is read from the body whatever the type, on one line."""
    recorded = REFERENCE[name]
    assert (
        recorded["headers"]["Content-Type"] == "application/vnd.scanner.adapter.error; version=1.0"
    )
    body = json.dumps(recorded["json"]).encode()
    err = docs.http_error(recorded["status"], body, "scan of x")
    assert (err.error_code, err.can_retry) == (code, retry)
    message = recorded["json"]["error"]["message"]
    assert "\n" not in err.message and " ".join(message.split()[:4]) in err.message
    assert len(err.message) <= len("scan of x: HTTP 500: ") + docs.MAX_MESSAGE


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("boom", "boom"),
        ("a\n\n  b  c\n", "a"),  # no line names an error: the first
        (
            "run: exit 1: WARN x\nFATAL error\trun error: y\n\t* remote error: z\n\n",
            "run: exit 1: WARN x … * remote error: z",
        ),
        ("", ""),
        ("x" * 600, "x" * (docs.MAX_MESSAGE - 1) + "…"),
    ],
)
def test_one_line(text: str, line: str) -> None:
    assert docs.one_line(text) == line


def test_sbom_bytes() -> None:
    assert json.loads(
        docs.sbom_bytes({"media_type": harbor_api.SPDX, "sbom": {"spdxVersion": "SPDX-2.3"}})
    ) == {"spdxVersion": "SPDX-2.3"}
    for bad in ({"sbom": "x"}, {"media_type": harbor_api.CYCLONEDX, "sbom": {}}):
        with pytest.raises(AdapterError):
            docs.sbom_bytes(bad)


@pytest.mark.parametrize(
    ("env", "headers"),
    [
        ({}, {}),
        ({"REGSCAN_SCANNER_TOKEN": "t"}, {"Authorization": "Bearer t"}),
        (
            {"REGSCAN_SCANNER_TOKEN": "t", "REGSCAN_SCANNER_AUTH": "api-key"},
            {"X-ScannerAdapter-API-Key": "t"},
        ),
        (
            {"REGSCAN_SCANNER_TOKEN": "t", "REGSCAN_SCANNER_AUTH": "basic"},
            {"Authorization": "Basic " + base64.b64encode(b"regscan:t").decode()},
        ),
        (  # Harbor's Basic credential is user:password
            {"REGSCAN_SCANNER_TOKEN": "robot:pw", "REGSCAN_SCANNER_AUTH": "Basic"},
            {"Authorization": "Basic " + base64.b64encode(b"robot:pw").decode()},
        ),
        (  # spec.scanner.authScheme, lower-cased by the Job
            {"REGSCAN_SCANNER_TOKEN": "t", "REGSCAN_SCANNER_AUTH": "apikey"},
            {"X-ScannerAdapter-API-Key": "t"},
        ),
    ],
)
def test_auth_headers(env: dict[str, str], headers: dict[str, str]) -> None:
    assert auth_headers(env) == headers


def test_auth_headers_bad_style() -> None:
    with pytest.raises(InvalidInput):
        auth_headers({"REGSCAN_SCANNER_TOKEN": "t", "REGSCAN_SCANNER_AUTH": "digest"})
