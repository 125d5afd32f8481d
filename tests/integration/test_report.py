"""`regscan report` on a real run (real registry, real Trivy with the fixture DB): multi-arch
tags and indexes show every platform under a header, --platform picks one, JSON/CSV/SARIF
(validated against the SARIF 2.1.0 schema), and bad input as a table."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from regscan.common.reports import RunReport
from tests.bench import servers
from tests.bench.catalog import SampleCatalog
from tests.bench.sarifschema import validate_sarif
from tests.integration.helpers import regscan, scan_args


@pytest.fixture(scope="module")
def results(
    registry: servers.Registry,
    samples: SampleCatalog,
    trivy_cache: Path,
    trivy_bin: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    out = tmp_path_factory.mktemp("report-results")
    argv = scan_args(registry.url, out, trivy_cache, "--repository", "samples/*")
    proc = regscan(*argv, "--repository", "mirror/alpine", "--fail-on", "high")
    assert proc.returncode == 3, proc.stderr  # the policy fails: verdicts recorded in the run
    return out


def headers(stdout: str) -> list[tuple[str, str, str]]:
    """(name, platform, digest) of each `== name  platform  digest` header."""
    return [
        (m[1], m[2], m[3]) for m in re.finditer(r"^== (.+?)  (\S+)  (sha256:\w+)$", stdout, re.M)
    ]


def cases(s: SampleCatalog, host: str) -> list[tuple[list[str], set[tuple[str, str]]]]:
    """argv -> the (repository, platform) pairs shown."""
    alpine = {("samples/alpine", p) for p in s.alpine_children}
    arm64 = s.alpine_children["linux/arm64"]
    return [
        (["--image", "samples/alpine:3.18"], alpine),
        (["--image", f"samples/alpine@{s.alpine_index}"], alpine),
        (["--image", f"samples/alpine@{arm64}"], {("samples/alpine", "linux/arm64")}),
        (["--image", arm64], {("samples/alpine", "linux/arm64"), ("mirror/alpine", "linux/arm64")}),
        (["--image", s.alpine_index], alpine | {("mirror/alpine", p) for p in s.alpine_children}),
        (
            ["--image", "samples/alpine:latest", "--platform", "linux/arm/v7"],
            {("samples/alpine", "linux/arm/v7")},
        ),
        (
            ["--image", "samples/debian:bookworm"],
            {("samples/debian", p) for p in s.debian_children},
        ),
        (["--image", f"{host}/samples/python:stable"], {("samples/python", "linux/amd64")}),
    ]


def test_references_show_every_platform_with_a_header(
    results: Path, samples: SampleCatalog, registry: servers.Registry
) -> None:
    digest_of = {
        "samples/alpine": samples.alpine_children,
        "mirror/alpine": samples.alpine_children,
        "samples/debian": samples.debian_children,
        "samples/python": {"linux/amd64": samples.python_digest},
    }
    for argv, shown in cases(samples, registry.host):
        proc = regscan("report", str(results), *argv)
        assert proc.returncode == 0, (argv, proc.stderr)
        got = headers(proc.stdout)
        assert {(name.split(":")[0], plat) for name, plat, _ in got} == shown, argv
        for name, plat, digest in got:  # the header names the platform's own digest
            assert digest == digest_of[name.split(":")[0]][plat]
        assert "CVE-2099-" in proc.stdout and "policy: " in proc.stdout


def test_json_csv_and_sarif_of_a_multi_arch_tag(results: Path, samples: SampleCatalog) -> None:
    ref = ["--image", "samples/alpine:3.18"]
    doc = RunReport.model_validate_json(
        regscan("report", str(results), *ref, "--format", "json").stdout
    )
    assert doc.policy is not None and doc.policy.failOn == "HIGH"
    assert {i.image.platform for i in doc.images} == set(samples.alpine_children)
    for item in doc.images:
        assert item.image.index_digest == samples.alpine_index
        assert item.image.policy is not None and not item.image.policy.passed
        assert item.report is not None and {v.id for v in item.report.vulnerabilities} == {
            "CVE-2099-1001",
            "CVE-2099-1002",
        }
    rows = list(
        csv.DictReader(io.StringIO(regscan("report", str(results), *ref, "--format", "csv").stdout))
    )
    assert len(rows) == 6 and {r["platform"] for r in rows} == set(samples.alpine_children)
    assert {r["policy"] for r in rows} == {"fail"} and rows[0][
        "indexDigest"
    ] == samples.alpine_index
    sarif = json.loads(regscan("report", str(results), *ref, "--format", "sarif").stdout)
    validate_sarif(sarif)
    assert len(sarif["runs"]) == 1 and len(sarif["runs"][0]["results"]) == 6


def test_sarif_of_the_whole_run_is_one_valid_log(results: Path) -> None:
    proc = regscan("report", str(results), "--format", "sarif")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    validate_sarif(doc)
    (run,) = doc["runs"]
    # 9 images: alpine x3 (2 each), mirror x3 (2 each), debian x2 (2 each), python (1)
    assert len(run["results"]) == 6 + 6 + 4 + 1
    assert run["results"][0]["level"] == "error" and run["invocations"][0]["executionSuccessful"]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {
        "CVE-2099-1001",
        "CVE-2099-1002",
        "CVE-2099-2001",
        "CVE-2099-2002",
        "CVE-2099-3001",
    }
    table = regscan("report", str(results), "--platform", "linux/arm64")
    assert table.returncode == 0 and "linux/amd64" not in table.stdout
    assert table.stdout.count("linux/arm64") == 3  # samples/alpine, mirror/alpine, debian


@pytest.mark.parametrize(
    ("argv", "code", "fragment"),
    [
        (["--image", "samples/alpine:9.9"], 2, "'samples/alpine:9.9' is not in run"),
        (["--image", "samples/alpine@sha256:abc"], 2, "is not a sha256 digest"),
        (["--image", "sha256:" + "0" * 64], 2, "is not in run"),
        (["--image", "Samples/Alpine"], 2, "is not a repository name"),
        (["--platform", "linux/sparc99"], 2, "unknown architecture 'sparc99'"),
        (
            ["--image", "samples/python:stable", "--platform", "linux/arm64"],
            2,
            "for platform linux/arm64",
        ),
        (["--format", "xml"], 2, "invalid choice: 'xml'"),
        (["--run", "../etc"], 2, "run"),
        (["--run", "scan-that-never-ran"], 2, "no run index at"),
    ],
)
def test_bad_input(results: Path, argv: list[str], code: int, fragment: str) -> None:
    proc = regscan("report", str(results), *argv)
    assert proc.returncode == code and fragment in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") <= 3
