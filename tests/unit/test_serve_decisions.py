"""The pure decisions of `regscan serve`: Accept negotiation, ScanRequest checks, severity
mapping, the token check and job states (tables)."""

from __future__ import annotations

import base64
import json

import pytest

from job_images.credentials import Credentials
from job_images.scanning.scanner import ImageRef
from regscan.common.reports import ScannerInfo
from regscan.serve import harbor_model, jobs, mime
from regscan.serve.auth import authorized

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("accept", "sbom_type", "media_type", "status"),
    [
        (None, None, mime.VULN_1_1, 200),
        ("*/*", None, mime.VULN_1_1, 200),
        (mime.VULN_1_1, None, mime.VULN_1_1, 200),
        ("application/vnd.security.vulnerability.report;version=1.1", None, mime.VULN_1_1, 200),
        (mime.VULN_1_0, None, mime.VULN_1_0, 200),
        (f"text/html, {mime.VULN_1_0}", None, mime.VULN_1_0, 200),
        (mime.SBOM, mime.SPDX, mime.SBOM, 200),
        (mime.SBOM, None, "", 400),
        (mime.SBOM, "text/plain", "", 400),
        (mime.SBOM, mime.CYCLONEDX, mime.SBOM, 200),
        ("application/vnd.scanner.adapter.vuln.report.raw", None, "", 501),
        ("text/html", None, "", 501),
        ("application/vnd.security.vulnerability.report; version=9.9", None, "", 501),
    ],
)
def test_choose_report(
    accept: str | None, sbom_type: str | None, media_type: str, status: int
) -> None:
    choice = mime.choose_report(accept, sbom_type)
    assert (choice.media_type, choice.status) == (media_type, status)
    assert bool(choice.message) == (status != 200)
    assert choice.sbom_media_type == (sbom_type if media_type == mime.SBOM else "")


@pytest.mark.parametrize(
    ("sbom_type", "served", "status"),
    [
        (mime.CYCLONEDX, (mime.SPDX,), 501),  # a scanner that cannot render CycloneDX
        (mime.SPDX, (mime.SPDX,), 200),
        ("application/json", (mime.SPDX, mime.CYCLONEDX), 400),
    ],
)
def test_choose_sbom_among_served(sbom_type: str, served: tuple[str, ...], status: int) -> None:
    assert mime.choose_report(mime.SBOM, sbom_type, served).status == status


def test_metadata_advertises_the_served_sbom_types() -> None:
    info = ScannerInfo(name="trivy", vendor="Aqua Security", version="0.76.0")
    both = harbor_model.metadata(info)["capabilities"][1]
    assert both["additional_attributes"] == {"sbom_media_types": [mime.SPDX, mime.CYCLONEDX]}
    assert both["produces_mime_types"] == [mime.SBOM]
    spdx = harbor_model.metadata(info, (mime.SPDX,))["capabilities"][1]
    assert spdx["additional_attributes"] == {"sbom_media_types": [mime.SPDX]}


def _request(**over: object) -> bytes:
    doc: dict[str, object] = {
        "registry": {"url": "https://core.harbor.domain", "authorization": ""},
        "artifact": {
            "repository": "library/mongo",
            "digest": DIGEST,
            "tag": "3.14",
            "mime_type": mime.OCI_MANIFEST,
        },
    }
    doc.update(over)
    return json.dumps(doc).encode()


BASIC = "Basic " + base64.b64encode(b"robot$scan:s3cret").decode()


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"{not json", 400, "not JSON"),
        (b"[]", 400, "JSON object"),
        (_request(registry="x"), 400, "objects"),
        (_request(artifact={"repository": 3, "digest": DIGEST}), 400, "artifact.repository"),
        (_request(registry={"url": "ftp://x"}), 422, "registry.url"),
        (_request(registry={"url": ""}), 422, "registry.url"),
        (_request(registry={"url": "http://["}), 422, "registry.url"),
        (_request(artifact={"repository": "", "digest": DIGEST}), 422, "artifact.repository"),
        (_request(artifact={"repository": "a", "digest": "sha256:12"}), 422, "artifact.digest"),
        (
            _request(
                artifact={
                    "repository": "a",
                    "digest": DIGEST,
                    "mime_type": "application/vnd.oci.image.index.v1+json",
                }
            ),
            501,
            "mime_type",
        ),
        (_request(enabled_capabilities=[{"type": "license"}]), 422, "enabled_capabilities.type"),
        (
            _request(
                enabled_capabilities=[
                    {
                        "type": "vulnerability",
                        "produces_mime_types": ["application/vnd.scanner.adapter.vuln.report.raw"],
                    }
                ]
            ),
            501,
            "no capability",
        ),
        (_request(enabled_capabilities="all"), 400, "enabled_capabilities"),
        (_request(registry={"url": "https://h", "authorization": "Bearer "}), 422, "Bearer"),
        (_request(registry={"url": "https://h", "authorization": "Bearer a b"}), 422, "Bearer"),
        (_request(registry={"url": "https://h", "authorization": "Digest x"}), 422, "Basic"),
        (_request(registry={"url": "https://h", "authorization": "Basic !!!"}), 422, "base64"),
    ],
)
def test_bad_scan_requests(body: bytes, status: int, words: str) -> None:
    with pytest.raises(harbor_model.RequestRejected) as info:
        harbor_model.parse_scan_request(body)
    assert info.value.status == status and words in info.value.message
    assert "s3cret" not in info.value.message


def test_scan_request_with_a_bearer_registry_token() -> None:
    body = json.loads(_request())
    body["registry"]["authorization"] = "Bearer eyJhbGciOi.s3cret.sig"
    order = harbor_model.parse_scan_request(json.dumps(body).encode())
    assert order.credentials == Credentials.bearer("eyJhbGciOi.s3cret.sig")
    assert "s3cret" not in repr(order)


def test_scan_request_with_harbor_extras() -> None:
    body = json.loads(_request())
    body["registry"] = {"url": "http://127.0.0.1:5000", "authorization": BASIC, "namespace_id": 3}
    body["artifact"]["tag"] = ""
    body["enabled_capabilities"] = [
        {"type": "sbom", "parameters": {"sbom_media_types": [mime.SPDX]}}
    ]
    order = harbor_model.parse_scan_request(json.dumps(body).encode())
    assert order.image == ImageRef(
        "http://127.0.0.1:5000", "127.0.0.1:5000", "library/mongo", DIGEST
    )
    assert order.credentials is not None and order.credentials.username == "robot$scan"
    assert order.credentials.password == "s3cret" and "s3cret" not in repr(order)
    assert order.capabilities == ("sbom",)
    assert harbor_model.parse_scan_request(_request()).capabilities == ("vulnerability", "sbom")


@pytest.mark.parametrize(
    ("ours", "theirs", "back"),
    [
        ("CRITICAL", "Critical", "CRITICAL"),
        ("HIGH", "High", "HIGH"),
        ("MEDIUM", "Medium", "MEDIUM"),
        ("LOW", "Low", "LOW"),
        ("UNKNOWN", "Unknown", "UNKNOWN"),
        ("NONE", "Unknown", "UNKNOWN"),
        ("weird", "Unknown", "UNKNOWN"),
    ],
)
def test_severity_both_ways(ours: str, theirs: str, back: str) -> None:
    assert harbor_model.to_harbor_severity(ours) == theirs
    assert harbor_model.from_harbor_severity(theirs) == back


def test_negligible_is_low() -> None:
    assert harbor_model.from_harbor_severity("Negligible") == "LOW"


def _b(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("headers", "ok"),
    [
        ({"authorization": "Bearer tok"}, True),
        ({"authorization": "bearer tok"}, True),
        ({"authorization": _b("harbor", "tok")}, True),
        ({"x-scanneradapter-api-key": "tok"}, True),
        ({}, False),
        ({"authorization": "Bearer nope"}, False),
        ({"authorization": _b("tok", "x")}, False),
        ({"authorization": "Basic %%%"}, False),
        ({"authorization": "Bearer "}, False),
        ({"x-scanneradapter-api-key": "tokx"}, False),
    ],
)
def test_token(headers: dict[str, str], ok: bool) -> None:
    assert authorized(headers, "tok") is ok


IMG = ImageRef("https://h", "h", "a", DIGEST)


@pytest.mark.parametrize(
    ("state", "status"),
    [
        (jobs.State.QUEUED, 302),
        (jobs.State.RUNNING, 302),
        (jobs.State.DONE, 200),
        (jobs.State.FAILED, 500),
    ],
)
def test_report_answer(state: jobs.State, status: int) -> None:
    answer = jobs.report_answer(jobs.Job("1", IMG, state, "boom"), 7)
    assert answer.status == status
    assert answer.refresh_after == (7 if status == 302 else 0)
    assert jobs.report_answer(None, 7).status == 404


@pytest.mark.parametrize(
    ("start", "to", "allowed"),
    [
        (jobs.State.QUEUED, jobs.State.RUNNING, True),
        (jobs.State.QUEUED, jobs.State.FAILED, True),
        (jobs.State.RUNNING, jobs.State.DONE, True),
        (jobs.State.RUNNING, jobs.State.FAILED, True),
        (jobs.State.QUEUED, jobs.State.DONE, False),
        (jobs.State.DONE, jobs.State.RUNNING, False),
        (jobs.State.FAILED, jobs.State.DONE, False),
    ],
)
def test_transitions(start: jobs.State, to: jobs.State, allowed: bool) -> None:
    job = jobs.Job("1", IMG, start)
    if allowed:
        moved = jobs.advance(job, to, "why")
        assert moved.state is to and moved.error == ("why" if to is jobs.State.FAILED else "")
    else:
        with pytest.raises(jobs.BadTransition):
            jobs.advance(job, to)


@pytest.mark.parametrize(("queued", "limit", "status"), [(0, 1, 202), (4, 5, 202), (5, 5, 429)])
def test_admit(queued: int, limit: int, status: int) -> None:
    assert jobs.admit(queued, limit) == status
