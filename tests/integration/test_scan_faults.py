"""Scanning faults: Trivy crash/hang, deleted images, hostile names, S3 down, killed shards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from job_images.scanning.pipeline import ScanOptions, scan_images
from job_images.store.backends import FilesystemStore
from regscan.common import layout
from regscan.common.discovery import ImageEntry
from regscan.common.jobs import CONTRACT_ENV, RegistryAccess, ScanJob
from regscan.common.reports import RunIndex, ShardSpec
from tests.bench import servers
from tests.bench.catalog import SampleCatalog
from tests.bench.faulty_trivy import write_wrapper
from tests.bench.images import Content, Package, build_image
from tests.bench.pusher import Pusher
from tests.integration.helpers import adapter, images_of, regscan


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
    written = [p.relative_to(root) for p in root.rglob("*") if p.is_file()]
    assert [p.parts[0] for p in written] == ["dbs"]  # the DB's fingerprint; nothing half-written


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
        "--output-dir",
        str(tmp_path / "store"),
        "--cache-dir",
        str(trivy_cache),
        "--skip-db-update",
    ]
    contract = _contract("run-kill", registry.url)
    env = {
        **os.environ,
        CONTRACT_ENV: contract,
        "JOB_COMPLETION_INDEX": "0",
        "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "regscan", *args],
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
    rerun = regscan(*args, env={CONTRACT_ENV: contract, "JOB_COMPLETION_INDEX": "0"})
    assert rerun.returncode == 0, rerun.stderr
    result = RunIndex.model_validate_json(store.get(layout.shard_result_key("run-kill", 0)) or b"")
    assert len(result.images) == len(images) and result.failed == 0
    assert result.reused + result.scanned == 6 and result.reused >= len(done_before) // 2
    assert len({k for k in store.list("reports/") if k.endswith(".sarif.json")}) == 6


def _contract(run: str, url: str = "http://127.0.0.1:1") -> str:
    """The scan Job's contract as the controller renders it (no S3: --output-dir is used)."""
    job = ScanJob.model_construct(run=run, registry=RegistryAccess(url=url), store=None)
    return job.model_dump_json(exclude_none=True)


def test_job_scan_bad_input(tmp_path: Path) -> None:
    out_dir = ["--output-dir", str(tmp_path)]
    out = regscan("job", "scan", "--shard", "0", *out_dir, env={CONTRACT_ENV: _contract("../x")})
    assert out.returncode == 2 and "run" in out.stderr
    out = regscan("job", "scan", *out_dir, env={CONTRACT_ENV: _contract("r1")})
    assert out.returncode == 2 and "JOB_COMPLETION_INDEX" in out.stderr
    out = regscan("job", "scan", "--shard", "4", *out_dir, env={CONTRACT_ENV: _contract("r1")})
    assert out.returncode == 2 and "no shard list" in out.stderr
    out = regscan("job", "scan", "--shard", "0", *out_dir, env={CONTRACT_ENV: ""})
    assert out.returncode == 2 and f"{CONTRACT_ENV}: is not set" in out.stderr
    assert "Traceback" not in out.stderr and not any(tmp_path.iterdir())
