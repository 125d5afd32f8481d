"""A new vulnerability DB in the mirror, in the cluster path: the controller notices it,
one rescan Job re-stamps what the update cannot change, an Indexed Job scans only the
affected digests, the status says so (real registry, S3, Trivy and Job entrypoints; the
API server is the in-memory stand-in, as in test_controller_e2e.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from controller.api import labels as L
from regscan.common import layout
from regscan.common.reports import Report
from tests.bench import servers
from tests.bench.catalog import SampleCatalog, fixture_db
from tests.bench.controllerrun import NS, OWN, Clock, new_world
from tests.bench.fakekube import FakeKube
from tests.bench.podrunner import job_from_cronjob, run_pod
from tests.bench.pusher import Pusher
from tests.bench.trivydb import db_artifact_layer, write_db
from tests.integration.helpers import regscan

DB_REPO = "rescan-e2e/trivy-db"


def _publish(registry: servers.Registry, tmp: Path, day: int, zlib_fix: str) -> str:
    db = fixture_db()
    db.updated_at = dt.datetime(2026, 11, day, tzinfo=dt.UTC)
    db.advisories = [
        dataclasses.replace(a, fixed_version=zlib_fix) if a.package == "zlib" else a
        for a in db.advisories
    ]
    layer = db_artifact_layer(write_db(db, tmp / f"db-{day}"))
    pusher = Pusher(registry.url)
    try:
        return pusher.push_trivy_db(DB_REPO, layer)
    finally:
        pusher.close()


def _jobs(kube: FakeKube, component: str, **labels: str) -> list[dict[str, Any]]:
    return [
        j
        for j in kube.named("Job")
        if j["metadata"]["labels"][L.COMPONENT] == component
        and all(j["metadata"]["labels"].get(k) == v for k, v in labels.items())
    ]


def _run(kube: FakeKube, job: dict[str, Any], clock: Clock, tmp: Path, indexes: int = 0) -> None:
    name = job["metadata"]["name"]
    kube.job_started(OWN, name, clock.step())
    for index in range(indexes) if indexes else [None]:
        proc = run_pod(kube, job, tmp, index)
        assert proc.returncode == 0, proc.stderr
    kube.job_finished(OWN, name, True, clock.step())


def test_new_db_rescans_only_affected_digests(
    s3: servers.S3Server, registry: servers.Registry, samples: SampleCatalog, tmp_path: Path
) -> None:
    first_db = _publish(registry, tmp_path, 1, "1.2.13-r2")
    bucket = f"rescan-{dt.datetime.now().strftime('%H%M%S%f')}"
    db = f"{registry.host}/{DB_REPO}"
    ask_every_tick = {"db_check_seconds": 1e-6}  # ask the mirror every tick
    world = new_world(s3, registry.url, db, bucket, settings_patch=ask_every_tick)
    kube, store, clock, controller = world.kube, world.store, world.clock, world.controller

    # A first, full run with the first DB.
    controller.tick()
    (cron,) = kube.named("CronJob")
    _run(kube, job_from_cronjob(kube, cron, "29398200"), clock, tmp_path)
    controller.tick()
    (scan,) = _jobs(kube, "scan")
    _run(kube, scan, clock, tmp_path, scan["spec"]["completions"])
    controller.tick()
    status = kube.registry(NS, "harbor")["status"]
    assert status["database"]["digest"] == first_db and "lastRescan" not in status
    controller.tick()
    assert not _jobs(kube, "discovery", **{L.RUN_KIND: L.RESCAN})  # same DB: nothing to do

    # The mirror gets a DB that changes zlib's advisory: only Alpine images have zlib.
    second_db = _publish(registry, tmp_path, 2, "1.2.13-r3")
    controller.tick()
    (rescan,) = _jobs(kube, "discovery", **{L.RUN_KIND: L.RESCAN})
    assert {e["reason"] for e in kube.named("Event")} >= {"RescanStarted"}
    _run(kube, rescan, clock, tmp_path)
    controller.tick()  # the rescan run's work: an Indexed Job over the affected digests only
    run = rescan["metadata"]["name"]
    (scan,) = _jobs(kube, "scan", **{L.RUN_ID: run})
    alpine = set(samples.alpine_children.values())
    assert scan["spec"]["completions"] == 2  # 3 Alpine digests, batchSize 2
    _run(kube, scan, clock, tmp_path, scan["spec"]["completions"])
    controller.tick()

    status = kube.registry(NS, "harbor")["status"]
    last = status["lastRescan"]
    assert last["runId"] == run and last["dbDigest"] == second_db
    assert (last["affected"], last["rescanned"], last["verified"]) == (3, 3, 3)
    assert status["database"]["digest"] == second_db
    assert status["lastScan"]["runId"] == run and status["lastScan"]["images"] == 6
    for digest in alpine:  # re-scanned with the new DB: zlib's new fixed version
        report = Report.model_validate_json(
            store.get(layout.under(NS, layout.report_key(digest))) or b""
        )
        assert report.scanned_with is None and report.scanner.db_digest == second_db
        assert {v.fixed_version for v in report.vulnerabilities if v.package == "zlib"} == {
            "1.2.13-r3"
        }
    for digest in {samples.python_digest, *samples.debian_children.values()}:  # re-stamped
        report = Report.model_validate_json(
            store.get(layout.under(NS, layout.report_key(digest))) or b""
        )
        assert report.scanner.db_digest == second_db and report.verified_at
        assert report.scanned_with is not None and report.scanned_with.db_digest == first_db

    controller.tick()  # settled: no second rescan for the same DB
    assert len(_jobs(kube, "discovery", **{L.RUN_KIND: L.RESCAN})) == 1


def _rescan_contract(**fields: object) -> str:
    base: dict[str, object] = {"registry": {"url": "https://r.example"}, "fromRun": "run-1"}
    return json.dumps({**base, **fields})


@pytest.mark.parametrize(
    ("contract", "run_id", "args", "message"),
    [
        ("", "run-2", (), "REGSCAN_JOB: is not set"),
        (_rescan_contract(fromRun=""), "run-2", (), "REGSCAN_JOB.fromRun"),
        (_rescan_contract(kind="scan"), "run-2", (), "REGSCAN_JOB.kind"),
        (_rescan_contract(), "Bad_Run", (), "run: 'Bad_Run'"),
        (_rescan_contract(), "run-2", ("--timeout", "0"), "timeout: must be > 0"),
        (_rescan_contract(), "run-2", ("--skip-db-update",), "needs --cache-dir"),
        (  # a run without a discovery result: named, nothing written
            _rescan_contract(scanner={"dbRepository": "127.0.0.1:1/none/db"}),
            "run-2",
            ("--skip-db-update", "--cache-dir", "CACHE"),
            "REGSCAN_JOB.fromRun: no discovery result",
        ),
    ],
)
def test_job_rescan_rejects_bad_input(
    contract: str, run_id: str, args: tuple[str, ...], message: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    argv = [a.replace("CACHE", str(tmp_path / "cache")) for a in args]
    env = {"REGSCAN_JOB": contract, "REGSCAN_RUN_ID": run_id}
    proc = regscan("job", "rescan", "--output-dir", str(out), *argv, env=env, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert not any(out.iterdir())  # nothing written
