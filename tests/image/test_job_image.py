"""Image tier: job_images/Dockerfile built, and its Job image run as the controller's pods say.

The pods come from the controller's own builders (a `Controller` ticking on the in-memory
API), and run in the container engine with their user, read-only root, dropped
capabilities, no privilege escalation, limits and kubelet-like volumes
(`tests/bench/podrunner.engine_options`) against the real bench registry, S3 and fixture
Trivy DB. The same run on the host gives the reference run index.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.bench import engine, servers
from tests.bench.catalog import SampleCatalog, push_samples
from tests.bench.controllerrun import new_world, scan_run
from tests.bench.podrunner import (
    IMAGE_ENV,
    engine_options,
    job_from_cronjob,
    plan_pod,
    run_pod,
    run_pod_in_engine,
)
from tests.bench.pusher import Pusher
from tests.image.conftest import MB, Images

pytestmark = pytest.mark.timeout(1800)  # the first test builds the images
JOB_HEADROOM_MB = 250  # the Job image may add at most this much to its base


def _bucket(what: str) -> str:
    return f"img-{what}-{dt.datetime.now().strftime('%H%M%S%f')}"


def test_job_image_is_slim_and_the_controller_image_slimmer(images: Images) -> None:
    job, controller = images.job, images.controller
    assert (job.size - job.base_size) / MB <= JOB_HEADROOM_MB, job
    assert controller.size <= job.size, (controller, job)


def test_image_config_is_what_the_pod_runner_assumes(images: Images) -> None:
    for built in (images.job, images.controller):
        config = engine.image_config(built.tag)
        assert config["User"] == "65532:65532"
        assert config["Entrypoint"] == ["regscan"]
        assert config["WorkingDir"] == "/tmp"
        env = dict(str(e).split("=", 1) for e in config["Env"] or [])  # type: ignore[union-attr]
        assert {k: env.get(k) for k in IMAGE_ENV} == IMAGE_ENV


def _in_image(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", "run", "--rm", "--read-only", *args], capture_output=True, text=True, timeout=120
    )


def test_each_image_carries_only_its_own_libraries(images: Images) -> None:
    proc = _in_image(images.job.tag, "controller")
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()  # one line, no traceback
    assert "--target controller" in line and "regscan[controller]" in line

    probe = "import shutil, sys, controller.app; sys.exit(shutil.which('trivy') is not None)"
    proc = _in_image("--entrypoint", "python", images.controller.tag, "-c", probe)
    assert proc.returncode == 0, proc.stderr  # the Kubernetes client, and no Trivy

    # its default command starts the controller, which gets as far as the Kubernetes config
    proc = _in_image("--network", "none", "-e", "REGSCAN_METRICS_PORT=0", images.controller.tag)
    (line,) = proc.stderr.strip().splitlines()
    assert proc.returncode == 1, line
    assert line.startswith("regscan controller: error: no usable Kubernetes configuration"), line

    probe = (  # Trivy and `regscan serve`'s ASGI stack, no Kubernetes client
        "import importlib.util as u, shutil; "
        "assert shutil.which('trivy') and not u.find_spec('kubernetes'); "
        "assert u.find_spec('uvicorn') and u.find_spec('starlette')"
    )
    proc = _in_image("--entrypoint", "python", images.job.tag, "-c", probe)
    assert proc.returncode == 0, proc.stderr


def test_pod_security_context_is_enforced(
    images: Images, s3: servers.S3Server, registry: servers.Registry, tmp_path: Path
) -> None:
    """The discovery pod's options, with a shell instead of regscan: what the Job sees."""
    world = new_world(s3, registry.url, "unused", _bucket("sec"), job_image=images.job.tag)
    world.controller.tick()
    (cron,) = world.kube.named("CronJob")
    plan = plan_pod(world.kube, job_from_cronjob(world.kube, cron, "1"), tmp_path, None)
    script = (
        "id -u; id -g; grep -E '^(CapEff|NoNewPrivs)' /proc/self/status;"
        "touch /opt/x 2>/dev/null && echo root-writable;"
        "touch /tmp/x /var/cache/trivy/x && echo volumes-writable"
    )
    proc = subprocess.run(
        ["docker", "run", *engine_options(plan), "--entrypoint", "sh", plan.image, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [" ".join(line.split()) for line in proc.stdout.splitlines()]
    assert lines == [
        "65532",
        "65532",
        "CapEff: 0000000000000000",
        "NoNewPrivs: 1",
        "volumes-writable",
    ]


def test_the_job_image_runs_a_whole_run_like_the_host(
    images: Images,
    s3: servers.S3Server,
    registry: servers.Registry,
    samples: SampleCatalog,
    trivy_db_ref: str,
    tmp_path: Path,
    tier_note: Callable[[str, str], None],
) -> None:
    started = time.monotonic()
    host = scan_run(
        new_world(s3, registry.url, trivy_db_ref, _bucket("host")), run_pod, tmp_path / "host"
    )
    host_seconds = time.monotonic() - started
    world = new_world(s3, registry.url, trivy_db_ref, _bucket("pod"), job_image=images.job.tag)
    started = time.monotonic()
    in_image = scan_run(world, run_pod_in_engine, tmp_path / "image")
    tier_note(
        "image",
        f"one run (discovery + 3 shards): {time.monotonic() - started:.0f}s in the image, "
        f"{host_seconds:.0f}s on the host",
    )
    assert in_image.failed == 0 and len(in_image.images) == 6 and in_image.totals.total > 0
    assert in_image.model_dump(mode="json") == host.model_dump(mode="json")


def test_the_job_image_reads_registry_credentials_from_the_mounted_secret(
    images: Images,
    s3: servers.S3Server,
    registry_basic: servers.Registry,
    trivy_db_ref: str,
    tmp_path: Path,
) -> None:
    """authSecret: the run's copy is mounted read-only (0644 files) for uid 65532."""
    pusher = Pusher(registry_basic.url, auth=registry_basic.auth)
    try:
        push_samples(pusher)
    finally:
        pusher.close()
    world = new_world(
        s3,
        registry_basic.url,
        trivy_db_ref,
        _bucket("auth"),
        job_image=images.job.tag,
        auth=registry_basic.auth,
    )
    index = scan_run(world, run_pod_in_engine, tmp_path)
    assert index.failed == 0 and len(index.images) == 6 and index.totals.total > 0
