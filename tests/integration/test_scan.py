"""Scanning against the real registry, real Trivy with the fixture DB: reports, reuse, lifecycle."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from job_images.scanning.adapters.base import AdapterError, ImageRef
from job_images.store.backends import FilesystemStore
from regscan.common import layout
from regscan.common.reports import Report, RunIndex
from tests.bench import servers
from tests.bench.catalog import DECOYS, PLANTED, SampleCatalog, fixture_db
from tests.bench.images import Content, Package, build_image
from tests.bench.pusher import Pusher
from tests.bench.trivydb import write_db
from tests.integration.helpers import adapter, regscan, scan_args


@pytest.fixture(scope="module")
def first_scan(
    registry: servers.Registry,
    samples: SampleCatalog,
    trivy_cache: Path,
    trivy_bin: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("results")
    proc = regscan(
        *scan_args(
            registry.url,
            out,
            trivy_cache,
            "--repository",
            "samples/*",
            "--repository",
            "mirror/alpine",
            "--fail-on",
            "critical",
        )
    )
    return out, proc


def test_scan_finds_planted_and_not_decoys(
    first_scan: tuple[Path, Any], samples: SampleCatalog
) -> None:
    out, proc = first_scan
    assert proc.returncode == 3, proc.stderr  # --fail-on critical is met
    index = RunIndex.model_validate_json((out / "runs" / "latest.json").read_bytes())
    assert len(index.images) == 9 and index.scanned == 6 and index.failed == 0  # 6 unique digests
    found: dict[str, set[str]] = {}
    for img in index.images:
        report = Report.model_validate_json((out / img.report).read_bytes())  # type: ignore[operator]
        found.setdefault(img.repository, set()).update(v.id for v in report.vulnerabilities)
    assert found["samples/alpine"] == {"CVE-2099-1001", "CVE-2099-1002"}
    assert found["mirror/alpine"] == found["samples/alpine"]
    assert found["samples/debian"] == {"CVE-2099-2001", "CVE-2099-2002"}
    assert found["samples/python"] == {"CVE-2099-3001"}
    assert not set().union(*found.values()) & set(DECOYS)
    assert set().union(*found.values()) == set(PLANTED)
    assert index.totals.critical == 5 and index.totals.fixable == 9
    assert "samples/debian:12 (+1)" in proc.stdout and "TOTAL" in proc.stdout
    for digest in samples.alpine_children.values():
        assert (out / layout.sbom_key(digest)).is_file()
        sarif = json.loads((out / layout.sarif_key(digest)).read_text())
        assert sarif["version"] == "2.1.0" and len(sarif["runs"][0]["results"]) == 2
    py = Report.model_validate_json((out / layout.report_key(samples.python_digest)).read_bytes())
    assert py.artifact.tags == ["1.0", "1.0.0", "stable"] and py.artifact.platform == "linux/amd64"
    assert (
        py.scanner.name == "trivy"
        and py.scanner.version.startswith("0.")
        and py.scanner.db_updated_at
    )
    assert "policy" not in json.loads((out / layout.report_key(samples.python_digest)).read_text())
    assert index.policy is not None and index.policy.failOn == "CRITICAL"
    deb = next(i for i in index.images if i.repository == "samples/debian")
    assert deb.policy is not None and not deb.policy.passed


def test_rerun_reuses_and_report_command(
    first_scan: tuple[Path, Any], registry: servers.Registry, trivy_cache: Path
) -> None:
    out, _ = first_scan
    proc = regscan(*scan_args(registry.url, out, trivy_cache, "--repository", "samples/*"))
    assert proc.returncode == 0, proc.stderr
    index = RunIndex.model_validate_json((out / "runs" / "latest.json").read_bytes())
    assert index.scanned == 0 and index.reused == 6
    rep = regscan("report", str(out), "--image", "samples/debian:bookworm")
    assert rep.returncode == 0 and "CVE-2099-2001" in rep.stdout
    sarif = regscan("report", str(out), "--image", "samples/python:stable", "--format", "sarif")
    assert json.loads(sarif.stdout)["runs"][0]["results"][0]["ruleId"] == "CVE-2099-3001"
    table = regscan("report", str(out))
    assert "samples/python:1.0 (+2)" in table.stdout
    missing = regscan("report", str(out), "--image", "nope/nope:1")
    assert missing.returncode == 2 and "image" in missing.stderr


def test_check_command_judges_stored_reports(
    first_scan: tuple[Path, Any], samples: SampleCatalog
) -> None:
    out, _ = first_scan
    fail = regscan("check", str(out), "--image", "samples/debian:bookworm", "--fail-on", "high")
    lines = fail.stdout.splitlines()  # a multi-arch tag: one verdict per platform
    assert fail.returncode == 3 and [line.split(" (")[0] for line in lines] == [
        "FAIL samples/debian:bookworm linux/amd64",
        "FAIL samples/debian:bookworm linux/arm64",
    ]
    assert all("CVE-2099-2001" in line for line in lines)
    index = regscan(
        "check",
        str(out),
        "--image",
        f"samples/alpine@{samples.alpine_index}",
        "--fail-on",
        "critical",
    )
    assert index.returncode == 3 and index.stdout.count("FAIL samples/alpine@") == 3
    arm = samples.alpine_children["linux/arm64"]
    one = regscan("check", str(out), "--image", f"samples/alpine@{arm}", "--fail-on", "low")
    assert one.returncode == 3 and one.stdout.count("\n") == 1 and arm[:19] in one.stdout
    ok = regscan("check", str(out), "--image", samples.python_digest, "--fail-on", "critical")
    assert ok.returncode == 0 and ok.stdout.startswith("PASS"), ok.stdout + ok.stderr
    gone = regscan("check", str(out), "--image", "sha256:" + "0" * 64)
    assert gone.returncode == 2 and gone.stdout.startswith("NOT-SCANNED")


def test_rescan_uses_stored_sbom_without_pulling(
    first_scan: tuple[Path, Any], samples: SampleCatalog, trivy_cache: Path
) -> None:
    out, _ = first_scan
    store = FilesystemStore(out)
    a = adapter(store, trivy_cache)
    dead = f"127.0.0.1:{servers.free_port()}"  # nothing listens: a pull would fail
    ref = ImageRef(f"http://{dead}", dead, "samples/python", samples.python_digest)
    result = a.rescan_image(ref, None, None)
    assert result.sbom_reused and {v.id for v in result.report.vulnerabilities} == {"CVE-2099-3001"}


def test_corrupt_sbom_is_regenerated(
    registry: servers.Registry, samples: SampleCatalog, trivy_cache: Path, tmp_path: Path
) -> None:
    store = FilesystemStore(tmp_path)
    digest = samples.debian_children["linux/amd64"]
    store.put(layout.sbom_key(digest), b'{"spdxVersion": "SPDX-2.3", "packa')  # truncated
    ref = ImageRef(registry.url, registry.host, "samples/debian", digest)
    result = adapter(store, trivy_cache).scan_image(ref, None)
    assert not result.sbom_reused
    assert json.loads(store.get(layout.sbom_key(digest)) or b"")["spdxVersion"].startswith("SPDX-")
    assert {v.id for v in result.report.vulnerabilities} == {"CVE-2099-2001", "CVE-2099-2002"}


def test_db_repository_air_gapped(
    registry: servers.Registry, samples: SampleCatalog, trivy_db_ref: str, tmp_path: Path
) -> None:
    proc = regscan(
        "scan",
        "--registry",
        registry.url,
        "--repository",
        "samples/python",
        "--output-dir",
        str(tmp_path / "out"),
        "--db-repository",
        trivy_db_ref,
        "--cache-dir",
        str(tmp_path / "cache"),
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "cache" / "db" / "trivy.db").is_file()
    index = RunIndex.model_validate_json((tmp_path / "out" / "runs" / "latest.json").read_bytes())
    assert index.totals.medium == 1 and index.scanner and index.scanner.db_updated_at


def test_missing_db_and_missing_trivy(tmp_path: Path) -> None:
    store = FilesystemStore(tmp_path / "s")
    with pytest.raises(AdapterError) as err:
        adapter(store, tmp_path / "empty-cache").prepare()
    assert err.value.error_code == "DBMissing" and not err.value.can_retry
    with pytest.raises(AdapterError) as err:
        adapter(store, tmp_path, trivy=str(tmp_path / "no-trivy"))
    assert err.value.error_code == "ScannerMissing" and "no-trivy" in err.value.message
    port = servers.free_port()
    proc = regscan(
        "scan",
        "--registry",
        f"http://127.0.0.1:{port}",
        "--output-dir",
        str(tmp_path / "o"),
        "--trivy-binary",
        "/nonexistent/trivy",
        timeout=60,
    )
    assert proc.returncode == 1
    assert "trivy not found (/nonexistent/trivy)" in proc.stderr
    assert "unreachable" not in proc.stderr  # failed before any registry request


def test_lifecycle_and_db_update_notification(
    registry: servers.Registry, trivy_cache: Path, tmp_path: Path
) -> None:
    pusher = Pusher(registry.url)
    keep = pusher.push_image(
        "life/app", ["keep"], build_image(Content("alpine", "3.18.4", [Package("zlib", "1.0-r0")]))
    )
    drop = pusher.push_image(
        "life/app", ["drop"], build_image(Content("alpine", "3.18.4", [Package("zlib", "1.0-r1")]))
    )
    out = tmp_path / "out"
    args = scan_args(
        registry.url, out, trivy_cache, "--repository", "life/app", "--grace-days", "0"
    )
    assert regscan(*args).returncode == 0
    store = FilesystemStore(out)
    assert store.exists(layout.report_key(drop))
    httpx.delete(f"{registry.url}/v2/life/app/manifests/{drop}", trust_env=False)
    assert regscan(*args).returncode == 0
    assert not store.exists(layout.report_key(drop)) and not store.exists(layout.sbom_key(drop))
    assert store.exists(layout.report_key(keep))
    # A DB update that changes nothing `keep` has: no re-scan, the report re-stamped.
    made_with = Report.model_validate_json(store.get(layout.report_key(keep)) or b"").scanner
    same = tmp_path / "same-content-cache"
    db = fixture_db()
    db.updated_at = db.updated_at.replace(day=20)
    db.advisories = [dataclasses.replace(a, severity="LOW") if a.package == "busybox" else a
                     for a in db.advisories]  # fmt: skip
    write_db(db, same)
    a = adapter(store, same)
    assert a.handle_notification({"type": "db-updated"}) == []
    stamped = Report.model_validate_json(store.get(layout.report_key(keep)) or b"")
    assert stamped.scanned_with == made_with and stamped.verified_at
    assert stamped.scanner.db_updated_at == a.metadata().db_updated_at != made_with.db_updated_at
    # One that changes zlib's advisory: `keep` (zlib 1.0-r0) is to be re-scanned.
    newer = tmp_path / "newer-cache"
    db.updated_at = db.updated_at.replace(day=21)
    db.advisories = [dataclasses.replace(a, fixed_version="1.0-r1") if a.package == "zlib" else a
                     for a in db.advisories]  # fmt: skip
    write_db(db, newer)
    a = adapter(store, newer)
    assert a.handle_notification({"type": "db-updated"}) == [keep]
    assert a.handle_notification({"type": "something-else"}) == []
    assert a.check_image(ImageRef(registry.url, registry.host, "life/app", keep)).passed
