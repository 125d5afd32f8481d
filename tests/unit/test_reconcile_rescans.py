"""reconcile tables, a vulnerability-DB update: when a rescan Job starts, what its run
scans, what the status says afterwards (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from controller.api import labels as L
from controller.core import naming
from controller.core.observed import JobObs, Observed, RunData
from controller.core.reconcile import reconcile
from regscan.common.jobs import read_rescan_job
from regscan.common.reports import RescanPlan, ScannerInfo
from tests.unit.reconcile_tables import (
    NOW,
    SETTINGS,
    D,
    applied,
    discovered_run,
    lbl,
    reg,
    shard_keys,
    shard_result,
    spec,
)

OLD, NEW = "sha256:" + "1" * 64, "sha256:" + "2" * 64
RUN = "rs-disc-team-a-harbor-1"
IDLE_STATUS: dict[str, Any] = {
    "lastScan": {"runId": RUN, "completionTime": "2026-11-22T09:00:00Z", "images": 3},
    "database": {"digest": OLD, "updatedAt": "2026-11-21T00:00:00Z"},
}
DONE = JobObs(RUN, lbl("discovery"), succeeded=True, completion_time="2026-11-22T08:00:00Z")
RESCAN = naming.rescan_job_name("team-a", "harbor", NEW)


def _plan(
    status: dict[str, Any] | None = None,
    mirrors: dict[str, str | None] | None = None,
    jobs: list[JobObs] | None = None,
    registry_spec: dict[str, Any] | None = None,
) -> Any:
    r = reg(spec=registry_spec or spec(), status=IDLE_STATUS if status is None else status)
    obs = Observed(
        registries=[r],
        jobs=[DONE] if jobs is None else jobs,
        db_digests={"": NEW} if mirrors is None else mirrors,
    )
    return reconcile(obs, SETTINGS, NOW)


def _rescans(plan: Any) -> list[dict[str, Any]]:
    return [j for j in applied(plan, "Job") if j["metadata"]["labels"].get(L.RUN_KIND) == L.RESCAN]


def test_new_db_in_the_mirror_starts_one_rescan_job() -> None:
    plan = _plan()
    (job,) = _rescans(plan)
    assert job["metadata"]["name"] == RESCAN
    assert job["metadata"]["labels"][L.COMPONENT] == "discovery"  # its run goes on as any run
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["job", "rescan"]
    contract = read_rescan_job({e["name"]: e.get("value", "") for e in container["env"]})
    assert contract.fromRun == RUN and contract.store and contract.store.prefix == "team-a"
    assert [e.reason for e in plan.events] == ["RescanStarted"]
    assert "registry-auth" not in str(container["volumeMounts"])  # no registry request


@pytest.mark.parametrize(
    ("case", "kwargs"),
    [
        ("the mirror serves the DB in use", {"mirrors": {"": OLD}}),
        ("the mirror did not answer", {"mirrors": {"": None}}),
        ("the mirror was not asked", {"mirrors": {}}),
        ("the status names no DB yet", {"status": {"lastScan": IDLE_STATUS["lastScan"]}}),
        ("no run summarized yet", {"status": {"database": IDLE_STATUS["database"]}}),
        ("a Job is running", {"jobs": [DONE, JobObs("rs-disc-x-2", lbl("discovery"), active=1)]}),
        (
            "a newer run is not summarized yet",
            {"jobs": [DONE, JobObs("rs-disc-x-2", lbl("discovery"), succeeded=True,
                                   completion_time="2026-11-22T10:00:00Z")]},
        ),
        (
            "this DB version's rescan ran already (it failed)",
            {"jobs": [DONE, JobObs(RESCAN, lbl("discovery", **{L.RUN_KIND: L.RESCAN}),
                                   failed=True)]},
        ),
        ("the Registry's own mirror is unchanged",
         {"registry_spec": spec(scanner={"dbRepository": "mirror.example/db:2"}),
          "mirrors": {"": NEW, "mirror.example/db:2": OLD}}),
        ("a harbor scanner keeps its own DB",
         {"registry_spec": spec(scanner={"name": "harbor", "url": "http://scanner:8080"})}),
    ],
)  # fmt: skip
def test_no_rescan_job(case: str, kwargs: dict[str, Any]) -> None:
    assert _rescans(_plan(**kwargs)) == [], case


def test_the_registrys_own_mirror_decides() -> None:
    own = spec(scanner={"dbRepository": "mirror.example/db:2"})
    plan = _plan(registry_spec=own, mirrors={"": OLD, "mirror.example/db:2": NEW})
    (job,) = _rescans(plan)
    container = job["spec"]["template"]["spec"]["containers"][0]
    contract = read_rescan_job({e["name"]: e.get("value", "") for e in container["env"]})
    assert contract.scanner.dbRepository == "mirror.example/db:2"


def _rescan_run(affected: list[str]) -> tuple[JobObs, RunData]:
    job = JobObs(
        RESCAN,
        lbl("discovery", **{L.RUN_KIND: L.RESCAN}),
        succeeded=True,
        completion_time="2026-11-22T10:00:00Z",
    )
    data = discovered_run(3)
    new_db = ScannerInfo(name="trivy", version="0.76.0", dbUpdatedAt="2026-11-22T00:00:00Z",
                         dbDigest=NEW)  # fmt: skip
    data.rescan = RescanPlan(runId=RESCAN, fromRun=RUN, scanner=new_db, affected=affected,
                             verified=3 - len(affected))  # fmt: skip
    return job, data


def test_a_rescan_run_scans_only_the_affected_digests() -> None:
    job, data = _rescan_run([D[1]])
    obs = Observed(registries=[reg(status=IDLE_STATUS)], jobs=[DONE, job], runs={RESCAN: data})
    plan = reconcile(obs, SETTINGS, NOW)
    (key,) = shard_keys(plan)
    shard = next(body for k, body in plan.put_objects if k == key)
    assert D[1] in shard.decode() and D[0] not in shard.decode() and D[2] not in shard.decode()


def test_a_rescan_run_with_nothing_affected_finishes_at_once_with_last_rescan() -> None:
    job, data = _rescan_run([])
    obs = Observed(registries=[reg(status=IDLE_STATUS)], jobs=[DONE, job], runs={RESCAN: data})
    plan = reconcile(obs, SETTINGS, NOW)
    assert shard_keys(plan) == []
    status = plan.status[0][2]
    assert status["lastRescan"]["runId"] == RESCAN
    assert (status["lastRescan"]["affected"], status["lastRescan"]["verified"]) == (0, 3)
    assert status["database"] == {"digest": NEW, "updatedAt": "2026-11-22T00:00:00Z"}
    assert status["lastScan"]["runId"] == RESCAN


def test_a_finished_rescan_run_reports_what_it_rescanned() -> None:
    job, data = _rescan_run([D[1]])
    scan = JobObs(naming.scan_job_name(RESCAN), lbl("scan", **{L.RUN_ID: RESCAN}),
                  succeeded=True, start_time="t1", completion_time="t2")  # fmt: skip
    result = shard_result(RESCAN, [D[1]])
    data.shard_results = {0: result}
    obs = Observed(
        registries=[reg(status=IDLE_STATUS)], jobs=[DONE, job, scan], runs={RESCAN: data}
    )
    status = reconcile(obs, SETTINGS, NOW).status[0][2]
    last = status["lastRescan"]
    assert (last["affected"], last["rescanned"], last["verified"]) == (1, 1, 2)
    assert last["dbDigest"] == NEW and last["completionTime"]


def test_db_watch_asks_each_mirror_once_per_interval() -> None:
    from controller.dbwatch import DBWatch
    from regscan.common.dbref import DBRef

    asked: list[str] = []
    now = [0.0]

    def probe(refs: list[DBRef]) -> tuple[DBRef, str] | None:
        asked.append(str(refs[0]))
        return (refs[0], NEW) if refs[0].registry == "mirror.example" else None

    watch = DBWatch(SETTINGS.model_copy(update={"db_check_seconds": 60}), probe, lambda: now[0])
    mirrors = {"mirror.example/db", "down.example/db", ""}
    assert watch.digests(mirrors) == {"mirror.example/db": NEW, "down.example/db": None, "": None}
    now[0] = 59
    watch.digests(mirrors)
    assert len(asked) == 3  # cached within the interval
    now[0] = 61
    watch.digests({"mirror.example/db"})
    assert asked[-1] == "mirror.example/db:2" and len(asked) == 4
    assert "mirror.gcr.io/aquasec/trivy-db:2" in asked  # "" = Trivy's default mirrors
    assert watch.digests({"https://bad"}) == {"https://bad": None}  # refused, not asked
    off = DBWatch(SETTINGS.model_copy(update={"db_check_seconds": 0}), probe)
    assert off.digests(mirrors) == {}
