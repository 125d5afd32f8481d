"""The controller on the in-memory API with a real S3 store, and one whole run (test bench).

`new_world` sets up a Registry, the S3 Secret and a `Controller` with a fixed clock;
`scan_run` drives one scheduled run through it, executing each pod the controller's
Jobs describe with a pod runner (a local process, or the Job image in a container engine):
discovery, the shards of the Indexed Job, then the merged run index. Does network I/O.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from controller.api import labels as L
from controller.loop import Controller
from controller.settings import Settings
from job_images.credentials import DOCKERCONFIGJSON_KEY, DOCKERCONFIGJSON_TYPE
from job_images.store.backends import S3Settings, S3Store
from regscan.common import layout
from regscan.common.reports import RunIndex
from tests.bench import servers
from tests.bench.fakekube import FakeKube
from tests.bench.podrunner import job_from_cronjob

NS, OWN = "team-a", "regscan-system"
PodRunner = Callable[..., subprocess.CompletedProcess[str]]


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def step(self, seconds: float = 10) -> str:
        self.now += dt.timedelta(seconds=seconds)
        return self.now.isoformat().replace("+00:00", "Z")


@dataclass
class World:
    kube: FakeKube
    controller: Controller
    store: S3Store
    clock: Clock


def new_world(
    s3: servers.S3Server,
    registry_url: str,
    trivy_db_ref: str,
    bucket: str,
    job_image: str = "regscan:test",
    auth: tuple[str, str] | None = None,
    spec_patch: dict[str, Any] | None = None,
    settings_patch: dict[str, Any] | None = None,
) -> World:
    """A Registry `team-a/harbor` over `samples/*` (batch size 2; `spec_patch` changes its
    spec), S3 in `bucket`; with `auth`, its `authSecret` is a dockerconfigjson Secret `pull`
    holding those credentials. `settings_patch` changes the controller's settings."""
    settings = Settings(
        namespace=OWN,
        job_image=job_image,
        s3_endpoint=s3.url,
        s3_bucket=bucket,
        trivy_db_repository=trivy_db_ref,
        rescan_after_hours=0,
        **(settings_patch or {}),
    )
    store = S3Store(S3Settings(s3.url, bucket, s3.access_key, s3.secret_key))
    kube = FakeKube()
    kube.objects[("Secret", OWN, settings.s3_secret)] = {
        "kind": "Secret",
        "metadata": {"name": settings.s3_secret, "namespace": OWN},
        "stringData": {"accessKey": s3.access_key, "secretKey": s3.secret_key},
    }
    spec: dict[str, Any] = {
        "url": registry_url,
        "repositories": [{"name": "samples/*"}],
        "scan": {"batchSize": 2},
    }
    if auth:
        host = registry_url.split("://", 1)[-1]
        token = base64.b64encode(":".join(auth).encode()).decode()
        config = json.dumps({"auths": {host: {"auth": token}}})
        kube.objects[("Secret", NS, "pull")] = {
            "kind": "Secret",
            "type": DOCKERCONFIGJSON_TYPE,
            "metadata": {"name": "pull", "namespace": NS},
            "data": {DOCKERCONFIGJSON_KEY: base64.b64encode(config.encode()).decode()},
        }
        spec["authSecret"] = "pull"
    kube.put_registry(NS, "harbor", {**spec, **(spec_patch or {})})
    clock = Clock()
    return World(kube, Controller(kube, store, settings, clock=clock), store, clock)


def jobs(kube: FakeKube, component: str) -> list[dict[str, Any]]:
    return [j for j in kube.named("Job") if j["metadata"]["labels"][L.COMPONENT] == component]


def _run(
    world: World, job: dict[str, Any], runner: PodRunner, tmp: Path, indexes: list[int | None]
) -> None:
    name = job["metadata"]["name"]
    world.kube.job_started(OWN, name, world.clock.step())
    for index in indexes:
        proc = runner(world.kube, job, tmp, index)
        where = name if index is None else f"{name} index {index}"
        assert proc.returncode == 0, f"{where} exited {proc.returncode}: {proc.stderr[-2000:]}"
    world.kube.job_finished(OWN, name, True, world.clock.step())


def scan_run(world: World, runner: PodRunner, tmp: Path, suffix: str = "29398200") -> RunIndex:
    """One scheduled run, every pod run by `runner`; returns the merged run index."""
    world.controller.tick()
    (cron,) = world.kube.named("CronJob")
    discovery = job_from_cronjob(world.kube, cron, suffix)
    _run(world, discovery, runner, tmp, [None])
    world.controller.tick()  # discovery done -> shard lists + one Indexed Job
    (scan,) = jobs(world.kube, "scan")
    _run(world, scan, runner, tmp, list(range(scan["spec"]["completions"])))
    world.controller.tick()  # the Job is done -> the merged run index
    run = discovery["metadata"]["name"]
    stored = world.store.get(layout.under(NS, layout.run_index_key(run)))
    assert stored, f"no run index for {run}"
    return RunIndex.model_validate_json(stored)
