"""Scanning against the real registry, real Trivy with the fixture DB, and real S3."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from job_images.discovery.models import ImageEntry
from job_images.discovery.run import DiscoverySpec, RepositorySelector, discover
from job_images.scanning.adapters.base import AdapterError, AdapterSettings, ImageRef
from job_images.scanning.adapters.trivy import TrivyAdapter
from job_images.scanning.models import Report, RunIndex, ShardSpec
from job_images.scanning.pipeline import ScanOptions, scan_images
from job_images.store import layout
from job_images.store.backends import FilesystemStore
from tests.bench import servers
from tests.bench.catalog import DECOYS, PLANTED, SampleCatalog, fixture_db
from tests.bench.faulty_trivy import write_wrapper
from tests.bench.images import Content, Package, Pusher, build_image
from tests.bench.trivydb import write_db


def regscan(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "job_images.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def adapter(
    store: FilesystemStore, cache: Path, trivy: str | None = None, timeout: float = 120
) -> TrivyAdapter:
    a = TrivyAdapter()
    opts: dict[str, Any] = {"cache_dir": str(cache), "skip_db_update": True}
    if trivy:
        opts["trivy"] = trivy
    a.configure(AdapterSettings(store=store, timeout=timeout, options=opts))
    return a


def images_of(registry: servers.Registry, *patterns: str) -> list[ImageEntry]:
    spec = DiscoverySpec(registry.url, [RepositorySelector(p) for p in patterns])
    return discover(spec).images


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
        "scan",
        "--registry",
        registry.url,
        "--repository",
        "samples/*",
        "--repository",
        "mirror/alpine",
        "--output-dir",
        str(out),
        "--cache-dir",
        str(trivy_cache),
        "--skip-db-update",
        "--fail-on",
        "critical",
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
    assert py.policy is not None and py.policy.passed
    deb = next(i for i in index.images if i.repository == "samples/debian")
    assert deb.policy is not None and not deb.policy.passed


def test_rerun_reuses_and_report_command(
    first_scan: tuple[Path, Any], registry: servers.Registry, trivy_cache: Path
) -> None:
    out, _ = first_scan
    proc = regscan(
        "scan",
        "--registry",
        registry.url,
        "--repository",
        "samples/*",
        "--output-dir",
        str(out),
        "--cache-dir",
        str(trivy_cache),
        "--skip-db-update",
    )
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


@pytest.mark.parametrize("mode", ["crash", "hang"])
def test_trivy_crash_or_hang_is_recorded_and_run_continues(
    mode: str,
    registry: servers.Registry,
    samples: SampleCatalog,
    trivy_cache: Path,
    trivy_bin: str,
    tmp_path: Path,
) -> None:
    victim = samples.debian_children["linux/arm64"]
    wrapper = write_wrapper(tmp_path / "trivy", trivy_bin, mode, match=victim)
    store = FilesystemStore(tmp_path / "out")
    images = images_of(registry, "samples/debian", "samples/python")
    options = ScanOptions("run-fault", registry.url, parallel=2, retries=1, retry_delay=0)
    start = time.monotonic()
    index = scan_images(
        images, adapter(store, trivy_cache, wrapper, timeout=3), store, None, options
    )
    assert time.monotonic() - start < 60
    status = {i.digest: (i.status, i.error_code) for i in index.images}
    assert status[victim][0] == "failed"
    assert status[victim][1] == ("Timeout" if mode == "hang" else "ScannerFailed")
    assert index.failed == 1 and index.scanned == 2
    assert not store.exists(layout.report_key(victim)) and not store.exists(layout.sbom_key(victim))


def test_image_deleted_between_discovery_and_scan(
    registry: servers.Registry, trivy_cache: Path, tmp_path: Path
) -> None:
    pusher = Pusher(registry.url)
    gone = pusher.push_image(
        "churn/app",
        ["old"],
        build_image(Content("alpine", "3.18.4", [Package("zlib", "1.2.13-r1")])),
    )
    pusher.push_image(
        "churn/app",
        ["new"],
        build_image(Content("alpine", "3.18.4", [Package("zlib", "1.2.13-r2")])),
    )
    images = images_of(registry, "churn/app")
    assert (
        httpx.delete(f"{registry.url}/v2/churn/app/manifests/{gone}", trust_env=False).status_code
        == 202
    )
    store = FilesystemStore(tmp_path)
    index = scan_images(
        images,
        adapter(store, trivy_cache),
        store,
        None,
        ScanOptions("run-del", registry.url, retry_delay=0),
    )
    by = {i.tags[0]: i for i in index.images}
    assert by["old"].status == "failed" and by["old"].error_code == "ImageNotFound"
    assert by["new"].status == "ok"


def test_dangerous_names_never_escape_or_execute(
    registry: servers.Registry, trivy_cache: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    evil = ImageEntry(
        registry=registry.host,
        repository=f"../../x $(touch {marker})",
        tags=[f"`touch {marker}`", "../../etc"],
        digest="sha256:" + "b" * 64,
        platform="linux/amd64",
    )
    root = tmp_path / "store"
    store = FilesystemStore(root)
    index = scan_images(
        [evil],
        adapter(store, trivy_cache),
        store,
        None,
        ScanOptions("run-evil", registry.url, retry_delay=0),
    )
    assert index.images[0].status == "failed"
    assert not marker.exists()
    assert all(
        p.resolve().is_relative_to(root.resolve())
        for p in tmp_path.rglob("*")
        if p.is_file() and p.parent != tmp_path
    )
    assert list(root.rglob("*")) == []  # nothing half-written


def test_s3_backend_and_bad_credentials(
    registry: servers.Registry, samples: SampleCatalog, s3: servers.S3Server, trivy_cache: Path
) -> None:
    env = {"AWS_ACCESS_KEY_ID": s3.access_key, "AWS_SECRET_ACCESS_KEY": s3.secret_key}
    args = [
        "scan",
        "--registry",
        registry.url,
        "--repository",
        "samples/python",
        "--s3-endpoint",
        s3.url,
        "--s3-bucket",
        "regscan-results",
        "--s3-prefix",
        "team-a",
        "--cache-dir",
        str(trivy_cache),
        "--skip-db-update",
    ]
    ok = regscan(*args, env=env)
    assert ok.returncode == 0, ok.stderr
    from minio import Minio

    client = Minio(s3.endpoint, s3.access_key, s3.secret_key, secure=False)
    names = {
        o.object_name
        for o in client.list_objects("regscan-results", prefix="team-a/", recursive=True)
    }
    assert f"team-a/{layout.report_key(samples.python_digest)}" in names
    assert f"team-a/{layout.sbom_key(samples.python_digest)}" in names
    assert "team-a/runs/latest.json" in names
    rep = regscan("report", "s3://regscan-results/team-a", "--s3-endpoint", s3.url, env=env)
    assert rep.returncode == 0 and "samples/python" in rep.stdout
    bad = regscan(*args, env={**env, "AWS_SECRET_ACCESS_KEY": "wrong-secret"}, timeout=60)
    assert bad.returncode == 1 and "SignatureDoesNotMatch" in bad.stderr
    assert "wrong-secret" not in bad.stderr + bad.stdout
    start = time.monotonic()
    down = regscan(
        *[a if a != s3.url else f"http://127.0.0.1:{servers.free_port()}" for a in args],
        env=env,
        timeout=60,
    )
    assert down.returncode == 1 and "unreachable" in down.stderr
    assert time.monotonic() - start < 30
    after = {o.object_name for o in client.list_objects("regscan-results", recursive=True)}
    assert after == names  # failed runs wrote nothing


def _shard(
    store: FilesystemStore, run: str, registry: servers.Registry, images: list[ImageEntry]
) -> None:
    spec = ShardSpec(
        runId=run,
        shard=0,
        registryUrl=registry.url,
        images=[i.model_dump(by_alias=True) for i in images],
    )
    store.put(layout.shard_key(run, 0), spec.to_json())


def test_job_shard_killed_midway_finishes_on_rerun(
    registry: servers.Registry,
    samples: SampleCatalog,
    trivy_cache: Path,
    trivy_bin: str,
    tmp_path: Path,
) -> None:
    store = FilesystemStore(tmp_path / "store")
    images = images_of(registry, "samples/*")
    _shard(store, "run-kill", registry, images)
    slow = (
        write_wrapper(tmp_path / "bin" / "trivy", trivy_bin, "slow", delay=1.5)
        if (tmp_path / "bin").mkdir() is None
        else ""
    )
    args = [
        "job",
        "scan",
        "--run",
        "run-kill",
        "--output-dir",
        str(tmp_path / "store"),
        "--cache-dir",
        str(trivy_cache),
        "--skip-db-update",
        "--parallel",
        "1",
    ]
    env = {
        **os.environ,
        "JOB_COMPLETION_INDEX": "0",
        "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "job_images.cli", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not store.list("reports/") and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = {k for k in store.list("reports/") if k.endswith(".sarif.json")}
    assert 1 <= len(done_before) < 6
    assert store.get(layout.shard_result_key("run-kill", 0)) is None
    assert slow
    rerun = regscan(*args, env={"JOB_COMPLETION_INDEX": "0"})
    assert rerun.returncode == 0, rerun.stderr
    result = RunIndex.model_validate_json(store.get(layout.shard_result_key("run-kill", 0)) or b"")
    assert len(result.images) == len(images) and result.failed == 0
    assert result.reused + result.scanned == 6 and result.reused >= len(done_before) // 2
    assert len({k for k in store.list("reports/") if k.endswith(".sarif.json")}) == 6


def test_job_scan_bad_input(tmp_path: Path) -> None:
    out = regscan("job", "scan", "--run", "../x", "--shard", "0", "--output-dir", str(tmp_path))
    assert out.returncode == 2 and "run" in out.stderr
    out = regscan("job", "scan", "--run", "r1", "--output-dir", str(tmp_path))
    assert out.returncode == 2 and "JOB_COMPLETION_INDEX" in out.stderr
    out = regscan("job", "scan", "--run", "r1", "--shard", "4", "--output-dir", str(tmp_path))
    assert out.returncode == 2 and "no shard list" in out.stderr


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
    args = [
        "scan",
        "--registry",
        registry.url,
        "--repository",
        "life/app",
        "--output-dir",
        str(out),
        "--cache-dir",
        str(trivy_cache),
        "--skip-db-update",
        "--grace-days",
        "0",
    ]
    assert regscan(*args).returncode == 0
    store = FilesystemStore(out)
    assert store.exists(layout.report_key(drop))
    httpx.delete(f"{registry.url}/v2/life/app/manifests/{drop}", trust_env=False)
    assert regscan(*args).returncode == 0
    assert not store.exists(layout.report_key(drop)) and not store.exists(layout.sbom_key(drop))
    assert store.exists(layout.report_key(keep))
    # a vulnerability-DB update makes the stored reports stale
    newer = tmp_path / "newer-cache"
    db = fixture_db()
    db.updated_at = db.updated_at.replace(day=20)
    write_db(db, newer)
    a = adapter(store, newer)
    assert a.handle_notification({"type": "db-updated"}) == [keep]
    assert a.handle_notification({"type": "something-else"}) == []
    assert a.check_image(ImageRef(registry.url, registry.host, "life/app", keep)).passed
