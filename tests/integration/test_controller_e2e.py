"""The controller end to end on the real bench: registry, S3, Trivy and the Job entrypoints.

The API server is the in-memory stand-in (no kube-apiserver can be installed here);
everything else is real: the pods the controller's Jobs describe are run as local
processes with their own args, env and volumes (tests/bench/podrunner.py).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from controller.api import labels as L
from controller.core import naming
from controller.loop import Controller
from job_images.store.backends import S3Store
from regscan.common import layout
from regscan.common.reports import RunIndex
from tests.bench import servers
from tests.bench.catalog import SampleCatalog
from tests.bench.controllerrun import NS, OWN, Clock, jobs, new_world
from tests.bench.fakekube import FakeKube
from tests.bench.podrunner import job_from_cronjob, run_pod


@pytest.fixture
def world(
    s3: servers.S3Server, registry: servers.Registry, samples: SampleCatalog, trivy_db_ref: str
) -> Iterator[tuple[FakeKube, Controller, S3Store, Clock]]:
    bucket = f"e2e-{dt.datetime.now().strftime('%H%M%S%f')}"
    w = new_world(s3, registry.url, trivy_db_ref, bucket)
    yield w.kube, w.controller, w.store, w.clock


def cond(kube: FakeKube, type_: str) -> dict[str, Any]:
    status = kube.registry(NS, "harbor")["status"]
    return next(c for c in status["conditions"] if c["type"] == type_)


def discover(kube: FakeKube, job: dict[str, Any], clock: Clock, tmp: Path) -> None:
    kube.job_started(OWN, job["metadata"]["name"], clock.step())
    proc = run_pod(kube, job, tmp)
    assert proc.returncode == 0, proc.stderr
    kube.job_finished(OWN, job["metadata"]["name"], True, clock.step())


def test_registry_to_status_summary(
    world: tuple[FakeKube, Controller, S3Store, Clock], samples: SampleCatalog, tmp_path: Path
) -> None:
    kube, controller, store, clock = world
    controller.tick()
    (cron,) = kube.named("CronJob")
    assert cron["metadata"]["name"] == naming.cronjob_name(NS, "harbor")
    assert cond(kube, "Ready")["status"] == "True"
    assert (
        kube.registry(NS, "harbor")["status"]["nextScheduleTime"] == "2026-11-23T00:00:00Z"
    )  # @daily

    # the CronJob fires: discovery runs the real `regscan job discover`
    disc = job_from_cronjob(kube, cron, "29398200")
    kube.job_started(OWN, disc["metadata"]["name"], clock.step())
    controller.tick()
    assert cond(kube, "Discovering")["status"] == "True"
    proc = run_pod(kube, disc, tmp_path)
    assert proc.returncode == 0, proc.stderr
    kube.job_finished(OWN, disc["metadata"]["name"], True, clock.step())
    run = disc["metadata"]["name"]
    assert store.exists(layout.under(NS, layout.discovery_key(run)))

    controller.tick()  # discovery done -> shard lists + one Indexed Job
    (scan,) = jobs(kube, "scan")
    assert scan["spec"]["completionMode"] == "Indexed"
    assert scan["spec"]["completions"] == 3  # 6 unique digests, batchSize 2
    assert cond(kube, "Scanning")["status"] == "True"
    assert kube.registry(NS, "harbor")["status"]["lastDiscovery"]["images"] == 6
    controller.tick()  # restarted or not: the same Job, not a second one
    assert len(jobs(kube, "scan")) == 1

    kube.job_started(OWN, scan["metadata"]["name"], clock.step())
    for index in (0, 1, 2, 1):  # index 1 runs twice: its first pod was killed and retried
        proc = run_pod(kube, scan, tmp_path, index)
        assert proc.returncode == 0, proc.stderr
    kube.job_finished(OWN, scan["metadata"]["name"], True, clock.step())

    fresh = Controller(kube, store, controller.settings, clock=clock)  # a restarted controller
    fresh.tick()
    status = kube.registry(NS, "harbor")["status"]
    merged = RunIndex.model_validate_json(
        store.get(layout.under(NS, layout.run_index_key(run))) or b""
    )
    assert status["lastScan"]["runId"] == run and status["lastScan"]["images"] == 6
    last = status["lastScan"]
    # the retried index found its reports stored by the killed pod: reused, counted once
    assert (last["scanned"], last["reused"], last["failed"]) == (4, 2, 0)
    assert status["vulnerabilities"] == merged.totals.model_dump(mode="json")
    assert merged.totals.total > 0 and len(merged.images) == 6
    assert status["reports"] == f"s3://{controller.settings.s3_bucket}/{NS}/runs/{run}/index.json"
    assert cond(kube, "Degraded")["status"] == "False"
    reasons = {e["reason"] for e in kube.named("Event")}
    assert {"ScanStarted", "ScanFinished"} <= reasons

    # steady state: nothing applied, no status patch
    before = len(kube.calls)
    report = fresh.tick()
    assert report.applied == 0 and report.status_patches == 0
    assert not [c for c in kube.calls[before:] if c[0] not in ("list", "get")]

    # a manual run: every digest is current -> completes at once, all reused
    kube.registry(NS, "harbor")["metadata"]["annotations"] = {L.SCAN_REQUESTED: "now-1"}
    fresh.tick()
    (manual,) = [
        j for j in jobs(kube, "discovery") if j["metadata"]["name"].startswith("rs-manual")
    ]
    discover(kube, manual, clock, tmp_path)
    fresh.tick()
    status = kube.registry(NS, "harbor")["status"]
    assert status["lastScan"]["runId"] == manual["metadata"]["name"]
    assert status["lastScan"]["reused"] == 6 and status["lastScan"]["scanned"] == 0
    assert status["vulnerabilities"] == merged.totals.model_dump(mode="json")
    assert len(jobs(kube, "scan")) == 1  # no Job for an empty run

    # the Registry is deleted: its CronJob, Jobs and Secrets go on the next tick
    del kube.objects[("Registry", NS, "harbor")]
    fresh.tick()
    assert kube.named("CronJob") == [] and kube.named("Job") == []


def _discovery_contract(**fields: object) -> str:
    base: dict[str, object] = {
        "registry": {"url": "https://r.example"},
        "store": {"endpoint": "http://127.0.0.1:1", "bucket": "b"},
        "source": "rs-cron",
    }
    return json.dumps({**base, **fields})


@pytest.mark.parametrize(
    ("contract", "run_id", "message"),
    [
        ("", "run-1", "REGSCAN_JOB: is not set"),
        (
            _discovery_contract(
                repositories=[
                    {"name": "a", "matchConditions": [{"name": "c", "expression": "1 +"}]}
                ]
            ),
            "run-1",
            "REGSCAN_JOB.repositories[0].matchConditions",
        ),
        (_discovery_contract(platforms=[{"os": "linux", "arch": ""}]), "run-1", "platforms.0.arch"),
        (_discovery_contract(maxTags="many"), "run-1", "REGSCAN_JOB.maxTags"),
        (_discovery_contract(), "Bad_Run", "run: 'Bad_Run'"),
    ],
)
def test_job_discover_rejects_bad_input(
    contract: str, run_id: str, message: str, tmp_path: Path
) -> None:
    from tests.integration.helpers import regscan

    env = {"REGSCAN_JOB": contract, "REGSCAN_RUN_ID": run_id}
    proc = regscan("job", "discover", "--output-dir", str(tmp_path), env=env, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert not any(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize("strict", [False, True])
def test_filter_errors_in_status_or_strict_failure(
    world: tuple[FakeKube, Controller, S3Store, Clock], tmp_path: Path, strict: bool
) -> None:
    """A condition that cannot be evaluated on some tags: counted in
    status.lastDiscovery.filterErrors; with `strict` the discovery pod fails in one line."""
    kube, controller, _, clock = world
    condition = {"name": "major", "expression": "semver(tag).major() >= 1"}
    repo = {"name": "samples/python", "matchConditions": [condition], "strict": strict}
    kube.put_registry(NS, "harbor", {"url": kube.registry(NS, "harbor")["spec"]["url"],
                                     "repositories": [repo]})  # fmt: skip
    controller.tick()
    (cron,) = kube.named("CronJob")
    disc = job_from_cronjob(kube, cron, "29398200")
    kube.job_started(OWN, disc["metadata"]["name"], clock.step())
    proc = run_pod(kube, disc, tmp_path)
    if strict:
        assert proc.returncode == 1
        (line,) = proc.stderr.strip().splitlines()
        assert "condition 'major' failed on samples/python:" in line, proc.stderr
        return
    assert proc.returncode == 0, proc.stderr
    kube.job_finished(OWN, disc["metadata"]["name"], True, clock.step())
    controller.tick()
    last = kube.registry(NS, "harbor")["status"]["lastDiscovery"]
    (failed,) = last["filterErrors"]
    assert (failed["repository"], failed["condition"], failed["tags"]) == (
        "samples/python",
        "major",
        2,  # 1.0 and stable; 1.0.0 is kept
    )
    assert failed["example"].split(": ")[0] in {"1.0", "stable"}
