"""SARIF of one digest and of a whole run, validated against the SARIF 2.1.0 schema (pure)."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest

from job_images.scanning.sarif import run_sarif, to_sarif
from regscan.common.reports import Artifact, Report, RunImage, ScannerInfo, Summary, Vulnerability
from tests.bench.sarifschema import validate_sarif

SCANNER = ScannerInfo(name="trivy", version="0.76.0", dbUpdatedAt="2026-11-01T00:00:00Z")
A, B = "sha256:" + "a" * 64, "sha256:" + "b" * 64


def vuln(vid: str, severity: str, package: str = "zlib", fixed: str = "") -> Vulnerability:
    return Vulnerability(
        id=vid, package=package, installedVersion="1.0", fixedVersion=fixed, severity=severity
    )


def report(digest: str, *vulns: Vulnerability) -> Report:
    art = Artifact(
        registry="reg:5000", repository="team/app", digest=digest, platform="linux/amd64"
    )
    return Report(
        artifact=art,
        scanner=SCANNER,
        generatedAt="2026-11-22T00:00:00Z",
        summary=Summary(total=len(vulns)),
        severity="NONE",
        vulnerabilities=list(vulns),
    )


def entry(repo: str, digest: str, platform: str, status: str = "ok") -> RunImage:
    return RunImage(
        registry="reg:5000",
        repository=repo,
        tags=["1.0"],
        digest=digest,
        platform=platform,
        status=status,
        error=None if status == "ok" else "pull failed: 404",
    )


AMD = report(A, vuln("CVE-1", "LOW"), vuln("CVE-2", "CRITICAL", "openssl", "3.1"))
ARM = report(B, vuln("CVE-2", "CRITICAL", "openssl", "3.1"))
RUN = [
    (entry("team/app", A, "linux/amd64"), AMD),
    (entry("team/app", B, "linux/arm64"), ARM),
    (entry("mirror/app", A, "linux/amd64"), AMD),
    (entry("team/broken", "sha256:" + "c" * 64, "linux/amd64", "failed"), None),
]


def test_one_digest_log_is_valid_sarif() -> None:
    doc = to_sarif(AMD)
    validate_sarif(doc)
    assert [r["ruleId"] for r in doc["runs"][0]["results"]] == ["CVE-1", "CVE-2"]


def test_whole_run_is_one_valid_run_with_every_image() -> None:
    doc = run_sarif("scan-1", "http://reg:5000", SCANNER, RUN)
    validate_sarif(doc)
    (run,) = doc["runs"]  # one run: GitHub rejects several runs of one tool and category
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["CVE-1", "CVE-2"]  # one each
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["CVE-2", "CVE-2", "CVE-2", "CVE-1", "CVE-1"]
    prints = [r["partialFingerprints"]["vulnerability/package"] for r in results]
    assert len(set(prints)) == 5  # every image x platform x finding is its own alert
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {"reg:5000/team/app", "reg:5000/mirror/app"}
    assert run["automationDetails"]["id"] == "regscan/reg_5000/"
    (inv,) = run["invocations"]
    assert not inv["executionSuccessful"]
    assert "team/broken:1.0" in inv["toolExecutionNotifications"][0]["message"]["text"]
    assert "linux/arm64" in results[1]["message"]["text"]


def test_an_empty_selection_is_still_valid() -> None:
    validate_sarif(run_sarif("scan-1", "reg:5000", None, []))


def _break(doc: dict[str, Any], path: list[str | int], value: object) -> dict[str, Any]:
    bad = copy.deepcopy(doc)
    target: Any = bad
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return bad


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["version"], "2.0.0"),
        (["runs", 0, "results", 0, "level"], "fatal"),
        (["runs", 0, "tool"], {}),
        (["runs", 0, "results", 0, "message"], "text"),
    ],
)
def test_the_schema_check_catches_invalid_logs(path: list[str | int], value: object) -> None:
    doc = run_sarif("scan-1", "reg:5000", SCANNER, RUN)
    with pytest.raises(jsonschema.ValidationError):
        validate_sarif(_break(doc, path, value))
