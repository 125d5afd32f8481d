"""reconcile tables, a run: discovery done -> shards + Indexed Job, which digests need work,
restart mid-scan, scan done -> summary, failed discovery (pure).
"""

from __future__ import annotations

import datetime as dt

import pytest

from controller.api import labels as L
from controller.core import builders, naming
from controller.core.observed import JobObs, ObjectObs, Observed
from controller.core.reconcile import reconcile
from controller.core.sharding import make_shards
from regscan.common.discovery import FilterErrors
from regscan.common.jobs import read_scan_job
from regscan.common.registry import RegistrySpec
from regscan.common.reports import RunIndex, ScannerInfo
from tests.unit.reconcile_tables import (
    NOW,
    SETTINGS,
    D,
    applied,
    cond,
    discovered_run,
    images,
    lbl,
    previous_index,
    reg,
    shard_keys,
    shard_result,
    spec,
)


def test_discovery_done_creates_shards_and_one_indexed_job() -> None:
    r = reg(spec=spec(scan={"batchSize": 2, "parallelism": 8}))
    disc = JobObs("rs-disc-x-123", lbl("discovery"), succeeded=True, completion_time="t1")
    obs = Observed(
        registries=[r], jobs=[disc], runs={"rs-disc-x-123": discovered_run(5, ("a", "b"))}
    )
    plan = reconcile(obs, SETTINGS, NOW)
    keys = [k for k, _ in plan.put_objects]
    assert keys == [f"team-a/runs/rs-disc-x-123/shards/{i:05d}.json" for i in range(3)]
    (job,) = [j for j in applied(plan, "Job") if j["metadata"]["labels"][L.COMPONENT] == "scan"]
    assert job["spec"]["completionMode"] == "Indexed" and job["spec"]["completions"] == 3
    assert job["spec"]["parallelism"] == 3 and job["spec"]["backoffLimitPerIndex"] == 2
    assert job["metadata"]["name"] == naming.scan_job_name("rs-disc-x-123")
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["job", "scan"]
    contract = read_scan_job({e["name"]: e.get("value", "") for e in container["env"]})
    assert contract.run == "rs-disc-x-123" and contract.store.prefix == "team-a"
    status = plan.status[0][2]
    assert status["lastDiscovery"]["images"] == 10
    assert cond(status, "Scanning")["status"] == "True"


def test_sharding_keeps_a_digest_in_one_shard() -> None:
    shards = make_shards(images(5, ("a", "b", "c")), 2)
    assert [len({i.digest for i in s}) for s in shards] == [2, 2, 1]
    assert [len(s) for s in shards] == [6, 6, 3]


def test_nothing_to_scan_completes_at_once() -> None:
    current = ScannerInfo(name="trivy", version="0.76.0", dbUpdatedAt="2026-11-22T00:00:00Z")
    disc = JobObs("run-1", lbl("discovery"), succeeded=True)
    data = discovered_run(2)
    data.previous = previous_index(D[:2], current)
    obs = Observed(registries=[reg()], jobs=[disc], runs={"run-1": data})
    plan = reconcile(obs, SETTINGS, NOW)
    assert not applied(plan, "Job")
    assert [k for k, _ in plan.put_objects] == ["team-a/runs/run-1/index.json"]
    merged = RunIndex.model_validate_json(plan.put_objects[0][1])
    assert merged.reused == 2 and merged.scanned == 0 and len(merged.images) == 2
    status = plan.status[0][2]
    assert status["lastScan"]["completionTime"] == "2026-11-22T10:30:00Z"
    assert status["lastScan"]["images"] == 2 and status["vulnerabilities"]["critical"] == 2
    assert any(e.reason == "ScanSkipped" for e in plan.events)


@pytest.mark.parametrize(
    ("case", "queued"),
    [
        ("one new digest", 1),
        ("a newer DB on one digest", 2),  # the new digest + the one on the old DB
        ("a DB older than rescanAfterHours", 3),
        ("the policy changed", 3),
    ],
)
def test_which_digests_need_work(case: str, queued: int) -> None:
    current = ScannerInfo(name="trivy", version="0.76.0", dbUpdatedAt="2026-11-22T00:00:00Z")
    prev = previous_index(D[:2], current)
    if case == "a newer DB on one digest":
        prev.images[0].scanned_with = current.model_copy(
            update={"db_updated_at": "2026-11-22T06:00:00Z"}
        )
    elif case == "a DB older than rescanAfterHours":
        for img in prev.images:
            img.scanned_with = current.model_copy(update={"db_updated_at": "2026-11-20T00:00:00Z"})
    elif case == "the policy changed":
        prev.policy_hash = "0" * 16
    data = discovered_run(3)
    data.previous = prev
    disc = JobObs("run-1", lbl("discovery"), succeeded=True)
    r = reg(spec=spec(scan={"batchSize": 1}))
    if case != "the policy changed":
        prev.policy_hash = builders.policy_hash(RegistrySpec.model_validate(r.spec))
    plan = reconcile(Observed(registries=[r], jobs=[disc], runs={"run-1": data}), SETTINGS, NOW)
    assert len(shard_keys(plan)) == queued, case


def test_restarted_mid_scan_rederives_and_does_not_duplicate() -> None:
    disc = JobObs("run-1", lbl("discovery"), succeeded=True)
    scan = JobObs(naming.scan_job_name("run-1"), lbl("scan", **{L.RUN_ID: "run-1"}), active=2)
    obs = Observed(registries=[reg()], jobs=[disc, scan], runs={"run-1": discovered_run(3)})
    plan = reconcile(obs, SETTINGS, NOW)
    assert not applied(plan, "Job") and not plan.put_objects
    assert cond(plan.status[0][2], "Scanning")["status"] == "True"


@pytest.mark.parametrize(("failed_indexes", "degraded"), [("", "False"), ("1", "True")])
def test_scan_done_publishes_summary(failed_indexes: str, degraded: str) -> None:
    disc = JobObs("run-1", lbl("discovery"), succeeded=True)
    scan = JobObs(
        naming.scan_job_name("run-1"),
        lbl("scan", **{L.RUN_ID: "run-1"}),
        succeeded=not failed_indexes,
        failed=bool(failed_indexes),
        failed_indexes=failed_indexes,
        start_time="2026-11-22T10:00:00Z",
    )
    data = discovered_run(3)
    data.shard_results = {0: shard_result("run-1", D[:2]), 1: shard_result("run-1", D[2:3])}
    run_secret = ObjectObs("rs-auth-run-1", lbl("auth", **{L.RUN_ID: "run-1"}))
    obs = Observed(
        registries=[reg()], jobs=[disc, scan], runs={"run-1": data}, secrets=[run_secret]
    )
    plan = reconcile(obs, SETTINGS, NOW)
    status = plan.status[0][2]
    assert status["lastScan"]["images"] == 3 and status["lastScan"]["scanned"] == 3
    assert status["vulnerabilities"]["critical"] == 3 and status["vulnerabilities"]["fixable"] == 6
    assert status["policy"] == {"passing": 0, "failing": 3}
    assert status["reports"] == "s3://results/team-a/runs/run-1/index.json"
    assert cond(status, "Degraded")["status"] == degraded
    assert ("Secret", "regscan-system", "rs-auth-run-1") in plan.delete
    # next tick: summarized already -> no status change, nothing new
    obs.registries = [reg(status=status)]
    again = reconcile(obs, SETTINGS, NOW + dt.timedelta(seconds=10))
    assert again.status == [] and not applied(again, "Job")


def test_failed_discovery_is_degraded() -> None:
    disc = JobObs("run-1", lbl("discovery"), failed=True)
    plan = reconcile(Observed(registries=[reg()], jobs=[disc]), SETTINGS, NOW)
    degraded = cond(plan.status[0][2], "Degraded")
    assert degraded["status"] == "True" and degraded["reason"] == "DiscoveryFailed"


def test_filter_errors_reach_the_status_and_the_run_index() -> None:
    current = ScannerInfo(name="trivy", version="0.76.0", dbUpdatedAt="2026-11-22T00:00:00Z")
    disc = JobObs("run-1", lbl("discovery"), succeeded=True)
    data = discovered_run(2)
    assert data.discovery is not None
    failures = [FilterErrors(repository="team-a/*", condition="newer", tags=3, example="dev: x")]
    data.discovery.stats.filter_errors = failures
    data.previous = previous_index(D[:2], current)
    plan = reconcile(Observed(registries=[reg()], jobs=[disc], runs={"run-1": data}), SETTINGS, NOW)
    status = plan.status[0][2]
    assert status["lastDiscovery"]["filterErrors"] == [
        {"repository": "team-a/*", "condition": "newer", "tags": 3, "example": "dev: x"}
    ]
    merged = RunIndex.model_validate_json(plan.put_objects[0][1])
    assert merged.filter_errors == failures
    assert not merged.partial  # a filter error is no discovery failure
