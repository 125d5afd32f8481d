from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from job_images.scanning.adapters.trivy_argv import (
    DBOptions,
    convert_argv,
    packages_argv,
    sbom_argv,
    vuln_argv,
)
from job_images.scanning.lifecycle import update_inventory
from job_images.scanning.policy import AllowEntry, Policy, check, parse_allow_entry, parse_severity
from job_images.scanning.report import report_from_findings, vulnerabilities_from_trivy
from job_images.scanning.sarif import to_sarif
from regscan.common.errors import InvalidInput
from regscan.common.layout import check_key, inventory_key, report_key, sbom_key, shard_key
from regscan.common.reports import (
    Artifact,
    Inventory,
    InventoryEntry,
    Report,
    ScannerInfo,
    Summary,
)

DIGEST = "sha256:" + "a" * 64
NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


def build_report(
    artifact: Artifact, scanner: ScannerInfo, trivy_doc: dict[str, Any], generated_at: str
) -> Report:
    """A Trivy JSON document normalized the way the Trivy adapter does it."""
    return report_from_findings(
        artifact, scanner, vulnerabilities_from_trivy(trivy_doc), generated_at
    )


def vuln(vid: str, pkg: str, ver: str, sev: str, fix: str = "", **extra: Any) -> dict[str, Any]:
    return {
        "VulnerabilityID": vid,
        "PkgName": pkg,
        "InstalledVersion": ver,
        "Severity": sev,
        "FixedVersion": fix,
        "Title": f"{vid} title",
        **extra,
    }


TRIVY_DOC = {
    "Results": [
        {
            "Target": "os",
            "Vulnerabilities": [
                vuln(
                    "CVE-1",
                    "openssl",
                    "3.0.1",
                    "CRITICAL",
                    "3.0.2",
                    PkgIdentifier={"PURL": "pkg:deb/debian/openssl@3.0.1"},
                    PrimaryURL="https://x/CVE-1",
                    CVSS={"nvd": {"V3Score": 9.8}},
                ),
                vuln("CVE-1", "openssl", "3.0.1", "CRITICAL", "3.0.2"),  # duplicate: dropped
                vuln(
                    "CVE-1", "libssl3", "3.0.1", "CRITICAL", "3.0.2"
                ),  # same id, other package: kept
                vuln("CVE-2", "glibc", "2.36", "LOW"),
                vuln("CVE-3", "zlib", "1.2", "weird"),  # unknown severity label
            ],
        },
        {
            "Target": "python",
            "Vulnerabilities": [vuln("GHSA-1", "requests", "2.19.0", "MEDIUM", "2.20.0")],
        },
        {"Target": "empty", "Vulnerabilities": None},
    ]
}


def report() -> Any:
    art = Artifact(
        registry="r:5000", repository="team/app", tags=["v1"], digest=DIGEST, platform="linux/amd64"
    )
    return build_report(
        art, ScannerInfo(name="trivy", version="0.76.0"), TRIVY_DOC, "2026-11-22T12:00:00Z"
    )


def test_normalized_report() -> None:
    r = report()
    assert r.summary == Summary(critical=2, high=0, medium=1, low=1, unknown=1, total=5, fixable=3)
    assert r.severity == "CRITICAL"
    openssl = next(v for v in r.vulnerabilities if v.package == "openssl")
    assert openssl.purl == "pkg:deb/debian/openssl@3.0.1" and openssl.score == 9.8
    assert openssl.links == ["https://x/CVE-1"]
    assert [v.severity for v in r.vulnerabilities] == [
        "CRITICAL",
        "CRITICAL",
        "MEDIUM",
        "LOW",
        "UNKNOWN",
    ]
    dumped = r.to_json().decode()
    for key in ('"installedVersion"', '"fixedVersion"', '"generatedAt"', '"dbUpdatedAt"'):
        assert key in dumped


def test_empty_report_severity_none() -> None:
    art = Artifact(registry="r", repository="x", digest=DIGEST)
    r = build_report(art, ScannerInfo(name="trivy"), {"Results": []}, "t")
    assert r.severity == "NONE" and r.summary.total == 0


def test_sarif() -> None:
    sarif = to_sarif(report())
    assert sarif["version"] == "2.1.0" and "sarif-2.1.0" in sarif["$schema"]
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["CVE-1", "GHSA-1", "CVE-2", "CVE-3"]  # one rule per id
    assert len(run["results"]) == 5  # one result per affected package
    cve1 = [r for r in run["results"] if r["ruleId"] == "CVE-1"]
    assert {r["locations"][0]["logicalLocations"][0]["name"] for r in cve1} == {
        "libssl3",
        "pkg:deb/debian/openssl@3.0.1",
    }
    assert all(r["level"] == "error" for r in cve1)
    assert rules[0]["properties"]["security-severity"] in ("9.5", "9.8")
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels["GHSA-1"] == "warning" and levels["CVE-2"] == "note" and levels["CVE-3"] == "none"
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert (
            res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            == f"r:5000/team/app@{DIGEST}"
        )


@pytest.mark.parametrize(
    ("policy", "passed", "count"),
    [
        (Policy(), True, 0),
        (Policy(fail_on="CRITICAL"), False, 2),
        (Policy(fail_on="HIGH"), False, 2),
        (Policy(fail_on="MEDIUM"), False, 3),
        (Policy(fail_on="LOW"), False, 4),
        (Policy(fail_on="UNKNOWN"), False, 5),
        (Policy(fail_on="LOW", only_fixable=True), False, 3),
        (Policy(fail_on="CRITICAL", allowlist=(AllowEntry("CVE-1"),)), True, 0),
        (
            Policy(fail_on="CRITICAL", allowlist=(AllowEntry("CVE-1", dt.date(2026, 11, 23)),)),
            True,
            0,
        ),
        (
            Policy(fail_on="CRITICAL", allowlist=(AllowEntry("CVE-1", dt.date(2026, 11, 22)),)),
            False,
            2,
        ),
    ],
)
def test_policy(policy: Policy, passed: bool, count: int) -> None:
    result = check(report(), policy, NOW)
    assert result.passed is passed
    assert len(result.reasons) == (count + 1 if count else 0)


def test_policy_parsing() -> None:
    assert parse_severity("high") == "HIGH" and parse_severity("none") is None
    with pytest.raises(InvalidInput, match="fail-on"):
        parse_severity("severe")
    assert parse_allow_entry("CVE-1:2027-01-31") == AllowEntry("CVE-1", dt.date(2027, 1, 31))
    with pytest.raises(InvalidInput, match="allow"):
        parse_allow_entry("CVE-1:tomorrow")


def test_layout_keys_are_safe() -> None:
    assert sbom_key(DIGEST) == f"sboms/sha256/{'a' * 64}.spdx.json"
    assert report_key(DIGEST) == f"reports/sha256/{'a' * 64}.json"
    assert shard_key("run-1", 3) == "runs/run-1/shards/00003.json"
    assert (
        inventory_key("127.0.0.1:5000", "abcdef0123456789")
        == "inventory/127.0.0.1_5000/abcdef0123456789.json"
    )
    for bad in ("sha256:../../etc/passwd", "sha256:" + "A" * 64, "md5:" + "a" * 32, ""):
        with pytest.raises(InvalidInput):
            sbom_key(bad)
    for key in ("../x", "/abs", "a//b", "a/../b", "a/$(id)", "a b", "."):
        with pytest.raises(InvalidInput):
            check_key(key)
    with pytest.raises(InvalidInput):
        shard_key("../run", 0)


def test_trivy_argv_has_no_secrets_and_uses_prepared_db() -> None:
    argv = sbom_argv("trivy", f"r:5000/a@{DIGEST}", "/tmp/o.json", 60, ca_file="/ca.pem")
    assert argv[:3] == ["trivy", "image", "--image-src"]
    assert "--skip-version-check" in argv and "--disable-telemetry" in argv
    assert argv[argv.index("--cacert") + 1] == "/ca.pem" and argv[-1].endswith(DIGEST)
    assert not any("password" in a.lower() or "username" in a.lower() for a in argv)
    scan = vuln_argv("trivy", "/tmp/s.json", DBOptions("/cache", "mirror/db"), 60)
    assert "--skip-db-update" in scan and "--db-repository" not in scan

    # the CycloneDX rendering of a stored SBOM: offline (no scanner, no DB fetch, no pull)
    pkgs = packages_argv("trivy", "/tmp/s.json", "/tmp/p.json", DBOptions("/c", "mirror/db"), 60)
    assert pkgs[:2] == ["trivy", "sbom"] and pkgs[pkgs.index("--scanners") + 1] == ""
    assert "--skip-db-update" in pkgs and "--db-repository" not in pkgs
    assert pkgs[-1] == "/tmp/s.json"
    conv = convert_argv("trivy", "/tmp/p.json", "/tmp/c.json", "cyclonedx", 60)
    assert conv[:4] == ["trivy", "convert", "--format", "cyclonedx"] and conv[-1] == "/tmp/p.json"


def test_lifecycle_grace_period() -> None:
    t0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    inv = Inventory(registry="r", selection="s")
    inv, gone = update_inventory(inv, {"a", "b", "c"}, t0, dt.timedelta(days=2), set())
    assert gone == [] and set(inv.digests) == {"a", "b", "c"}
    inv, gone = update_inventory(inv, {"a"}, t0 + dt.timedelta(days=1), dt.timedelta(days=2), set())
    assert gone == [] and inv.digests["b"].missing_since == "2026-11-02T00:00:00Z"
    inv, gone = update_inventory(
        inv, {"a", "c"}, t0 + dt.timedelta(days=2), dt.timedelta(days=2), set()
    )
    assert inv.digests["c"].missing_since is None  # came back
    inv, gone = update_inventory(inv, {"a"}, t0 + dt.timedelta(days=3), dt.timedelta(days=2), {"b"})
    assert gone == []  # b is past grace but another registry still holds it: dropped, not removed
    assert set(inv.digests) == {"a", "c"}
    inv, gone = update_inventory(inv, {"a"}, t0 + dt.timedelta(days=6), dt.timedelta(days=2), set())
    assert gone == ["c"] and set(inv.digests) == {"a"}
    assert isinstance(inv.digests["a"], InventoryEntry)
