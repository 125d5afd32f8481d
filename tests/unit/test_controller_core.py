"""The pure controller core: CRD generation and reconcile(observed, settings, now) tables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from controller.api import labels as L
from controller.api.crd import build_crd, render
from controller.api.registry import RegistrySpec
from controller.core import builders, naming
from controller.core.observed import AuthSecret, JobObs, ObjectObs, Observed, RegistryObs, RunData
from controller.core.reconcile import reconcile
from controller.core.sharding import make_shards
from controller.settings import Settings
from job_images.discovery.models import DiscoveryResult, DiscoveryStats, ImageEntry
from job_images.scanning.models import CheckResult, RunImage, RunIndex, ScannerInfo, Summary

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 11, 22, 10, 30, tzinfo=dt.UTC)
SETTINGS = Settings(namespace="regscan-system", job_image="regscan:test", s3_bucket="results")
D = ["sha256:" + c * 64 for c in "abcdef"]


def spec(**kw: Any) -> dict[str, Any]:
    return {"url": "https://harbor.example.com", "schedule": "@hourly", **kw}


def reg(name: str = "harbor", ns: str = "team-a", **kw: Any) -> RegistryObs:
    base: dict[str, Any] = {
        "namespace": ns,
        "name": name,
        "uid": f"uid-{name}",
        "generation": 3,
        "spec": spec(),
    }
    base.update(kw)
    return RegistryObs(**base)


def lbl(component: str, name: str = "harbor", ns: str = "team-a", **extra: str) -> dict[str, str]:
    return {
        L.MANAGED_BY: "regscan",
        L.COMPONENT: component,
        L.REGISTRY_NAMESPACE: ns,
        L.REGISTRY_NAME: name,
        **extra,
    }


def images(n: int, repos: tuple[str, ...] = ("app",)) -> list[ImageEntry]:
    return [
        ImageEntry(
            registry="harbor.example.com",
            repository=r,
            tags=["v1"],
            digest=D[i],
            platform="linux/amd64",
        )
        for i in range(n)
        for r in repos
    ]


def applied(plan: Any, kind: str) -> list[dict[str, Any]]:
    return [o for o in plan.apply if o["kind"] == kind]


def cond(status: dict[str, Any], type_: str) -> dict[str, Any]:
    return next(c for c in status["conditions"] if c["type"] == type_)


# ---- CRD -------------------------------------------------------------------------------


def test_crd_file_is_generated_from_models() -> None:
    assert (ROOT / "manifests" / "crd.yaml").read_text() == render()


def test_crd_is_structural() -> None:
    crd = build_crd()
    version = crd["spec"]["versions"][0]
    assert version["subresources"] == {"status": {}}
    assert [c["name"] for c in version["additionalPrinterColumns"]] == [
        "URL",
        "Images",
        "Critical",
        "High",
        "Failing",
        "Last Scan",
        "Ready",
    ]
    text = yaml.safe_dump(crd)
    assert "$ref" not in text and "anyOf" not in text and "title:" not in text

    def walk(node: dict[str, Any], path: str) -> None:
        assert "type" in node, path
        for key, child in (node.get("properties") or {}).items():
            walk(child, f"{path}.{key}")
        if "items" in node:
            walk(node["items"], f"{path}[]")

    walk(version["schema"]["openAPIV3Schema"], "")
    spec_schema = version["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert spec_schema["properties"]["scan"]["properties"]["batchSize"]["default"] == 25
    assert spec_schema["properties"]["policy"]["properties"]["failOn"]["enum"][0] == "CRITICAL"
    assert "x-kubernetes-validations" in spec_schema["properties"]["platforms"]["items"]


# ---- reconcile ---------------------------------------------------------------------------


def test_new_registry_gets_a_cronjob_and_ready_status() -> None:
    plan = reconcile(Observed(registries=[reg()]), SETTINGS, NOW)
    (cron,) = applied(plan, "CronJob")
    assert cron["metadata"]["name"] == naming.cronjob_name("team-a", "harbor")
    assert cron["metadata"]["namespace"] == "regscan-system"
    assert cron["spec"]["schedule"] == "0 * * * *" and cron["spec"]["concurrencyPolicy"] == "Forbid"
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    c = pod["containers"][0]
    assert c["args"] == ["job", "discover"]
    assert c["securityContext"]["readOnlyRootFilesystem"] and pod["securityContext"]["runAsNonRoot"]
    assert c["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert "limits" in c["resources"]
    assert not applied(plan, "Job") and not plan.put_objects
    ((ns, name, status),) = plan.status
    assert (ns, name) == ("team-a", "harbor")
    assert cond(status, "Ready")["status"] == "True" and status["observedGeneration"] == 3
    assert status["nextScheduleTime"] == "2026-11-22T11:00:00Z"


def test_spec_change_reapplies_the_cronjob_and_moves_the_schedule() -> None:
    first = reconcile(Observed(registries=[reg()]), SETTINGS, NOW)
    (cron,) = applied(first, "CronJob")
    seen = ObjectObs(
        cron["metadata"]["name"], cron["metadata"]["labels"], cron["metadata"]["annotations"]
    )
    status = first.status[0][2]
    changed = reg(generation=4, status=status, spec=spec(schedule="30 2 * * 1", suspend=False))
    plan = reconcile(Observed(registries=[changed], cronjobs=[seen]), SETTINGS, NOW)
    (new_cron,) = applied(plan, "CronJob")
    assert new_cron["spec"]["schedule"] == "30 2 * * 1"
    assert (
        new_cron["metadata"]["annotations"][L.SPEC_HASH]
        != cron["metadata"]["annotations"][L.SPEC_HASH]
    )
    new_status = plan.status[0][2]
    assert new_status["observedGeneration"] == 4
    assert new_status["nextScheduleTime"] == "2026-11-23T02:30:00Z"  # the next Monday 02:30
    suspended = reg(generation=5, status=new_status, spec=spec(suspend=True))
    plan = reconcile(Observed(registries=[suspended], cronjobs=[seen]), SETTINGS, NOW)
    assert applied(plan, "CronJob")[0]["spec"]["suspend"] is True
    assert "nextScheduleTime" not in plan.status[0][2]


@pytest.mark.parametrize(
    ("spec_patch", "field", "fragment"),
    [
        (
            {
                "repositories": [
                    {
                        "name": "app",
                        "matchConditions": [
                            {"name": "recent", "expression": "semver(tag).isGreaterThan("}
                        ],
                    }
                ]
            },
            "spec.repositories[0].matchConditions[recent]",
            "does not parse",
        ),
        (
            {
                "repositories": [
                    {
                        "name": "app",
                        "matchConditions": [{"name": "typo", "expression": "tga == 'x'"}],
                    }
                ]
            },
            "spec.repositories[0].matchConditions[typo]",
            "undeclared reference",
        ),
        ({"schedule": "every day"}, "spec.schedule", "5 fields"),
        ({"schedule": "61 * * * *"}, "spec.schedule", "not a valid cron"),
        (
            {"platforms": [{"os": "linux", "arch": "arm", "variant": "v9"}]},
            "spec.platforms[0]",
            "v9",
        ),
        ({"url": "ftp://x"}, "spec.url", "http"),
        ({"scan": {"batchSize": 0}}, "spec.scan.batchSize", "greater than or equal"),
        ({"repositories": [{"name": "../etc"}]}, "spec.repositories[0].name", "not a valid"),
        ({"policy": {"failOn": "SEVERE"}}, "spec.policy.failOn", "CRITICAL"),
    ],
)
def test_invalid_spec_gives_condition_and_no_jobs(
    spec_patch: dict[str, Any], field: str, fragment: str
) -> None:
    bad = reg(spec=spec(**spec_patch))
    good = reg(name="other")
    old_cron = ObjectObs(naming.cronjob_name("team-a", "harbor"), lbl("discovery"))
    plan = reconcile(Observed(registries=[bad, good], cronjobs=[old_cron]), SETTINGS, NOW)
    statuses = {name: status for _, name, status in plan.status}
    ready = cond(statuses["harbor"], "Ready")
    assert ready["status"] == "False" and ready["reason"] == "InvalidSpec"
    assert ready["message"].startswith(field) and fragment in ready["message"]
    assert ("CronJob", "regscan-system", old_cron.name) in plan.delete
    crons = applied(plan, "CronJob")
    assert [c["metadata"]["labels"][L.REGISTRY_NAME] for c in crons] == ["other"]  # unaffected
    assert not applied(plan, "Job")


@pytest.mark.parametrize(
    ("secret", "reason"),
    [(None, "AuthSecretNotFound"), (AuthSecret("Opaque", "{}"), "AuthSecretInvalid")],
)
def test_auth_secret_missing_or_wrong_type(secret: AuthSecret | None, reason: str) -> None:
    r = reg(spec=spec(authSecret="pull"))
    auth = {} if secret is None else {("team-a", "pull"): secret}
    plan = reconcile(Observed(registries=[r], auth=auth), SETTINGS, NOW)
    assert cond(plan.status[0][2], "Ready")["reason"] == reason
    assert not plan.apply


def test_auth_secret_is_copied_and_mounted() -> None:
    r = reg(spec=spec(authSecret="pull"))
    auth = {("team-a", "pull"): AuthSecret("kubernetes.io/dockerconfigjson", '{"auths":{}}')}
    plan = reconcile(Observed(registries=[r], auth=auth), SETTINGS, NOW)
    (secret,) = applied(plan, "Secret")
    assert secret["metadata"]["namespace"] == "regscan-system"
    cron = applied(plan, "CronJob")[0]
    vols = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["volumes"]
    assert any(v.get("secret", {}).get("secretName") == secret["metadata"]["name"] for v in vols)
    assert '{"auths":{}}' not in str(plan.status)


def test_manual_trigger_once() -> None:
    r = reg(annotations={L.SCAN_REQUESTED: "2026-11-22T10:00"})
    plan = reconcile(Observed(registries=[r]), SETTINGS, NOW)
    (job,) = applied(plan, "Job")
    assert job["metadata"]["annotations"][L.SCAN_REQUESTED] == "2026-11-22T10:00"
    cron = applied(plan, "CronJob")[0]
    assert cron["metadata"]["annotations"][L.HANDLED_REQUEST] == "2026-11-22T10:00"
    handled = ObjectObs(
        cron["metadata"]["name"], lbl("discovery"), {L.HANDLED_REQUEST: "2026-11-22T10:00"}
    )
    again = reconcile(Observed(registries=[r], cronjobs=[handled]), SETTINGS, NOW)
    assert not applied(again, "Job")


def _discovered(n: int, repos: tuple[str, ...] = ("app",)) -> RunData:
    imgs = images(n, repos)
    return RunData(
        discovery=DiscoveryResult(
            images=imgs, stats=DiscoveryStats(repositories=len(repos), tags=n * len(repos))
        )
    )


def test_discovery_done_creates_shards_and_one_indexed_job() -> None:
    r = reg(spec=spec(scan={"batchSize": 2, "parallelism": 8}))
    disc = JobObs("rs-disc-x-123", lbl("discovery"), succeeded=True, completion_time="t1")
    obs = Observed(registries=[r], jobs=[disc], runs={"rs-disc-x-123": _discovered(5, ("a", "b"))})
    plan = reconcile(obs, SETTINGS, NOW)
    keys = [k for k, _ in plan.put_objects]
    assert keys == [f"team-a/runs/rs-disc-x-123/shards/{i:05d}.json" for i in range(3)]
    (job,) = [j for j in applied(plan, "Job") if j["metadata"]["labels"][L.COMPONENT] == "scan"]
    assert job["spec"]["completionMode"] == "Indexed" and job["spec"]["completions"] == 3
    assert job["spec"]["parallelism"] == 3 and job["spec"]["backoffLimitPerIndex"] == 2
    assert job["metadata"]["name"] == naming.scan_job_name("rs-disc-x-123")
    assert job["spec"]["template"]["spec"]["containers"][0]["args"][:4] == [
        "job",
        "scan",
        "--run",
        "rs-disc-x-123",
    ]
    status = plan.status[0][2]
    assert status["lastDiscovery"]["images"] == 10
    assert cond(status, "Scanning")["status"] == "True"


def test_sharding_keeps_a_digest_in_one_shard() -> None:
    shards = make_shards(images(5, ("a", "b", "c")), 2)
    assert [len({i.digest for i in s}) for s in shards] == [2, 2, 1]
    assert [len(s) for s in shards] == [6, 6, 3]


def _previous(digests: list[str], info: ScannerInfo, policy: str | None = None) -> RunIndex:
    prev = _shard_result("run-0", digests)
    for img in prev.images:
        img.scanned_with = info
    prev.policy_hash = policy or builders.policy_hash(RegistrySpec.model_validate(spec()))
    return prev


def test_nothing_to_scan_completes_at_once() -> None:
    current = ScannerInfo(name="trivy", version="0.76.0", dbUpdatedAt="2026-11-22T00:00:00Z")
    disc = JobObs("run-1", lbl("discovery"), succeeded=True)
    data = _discovered(2)
    data.previous = _previous(D[:2], current)
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


def _shards_of(plan: Any) -> list[str]:
    return [k for k, _ in plan.put_objects if "/shards/" in k]


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
    prev = _previous(D[:2], current)
    if case == "a newer DB on one digest":
        prev.images[0].scanned_with = current.model_copy(
            update={"db_updated_at": "2026-11-22T06:00:00Z"}
        )
    elif case == "a DB older than rescanAfterHours":
        for img in prev.images:
            img.scanned_with = current.model_copy(update={"db_updated_at": "2026-11-20T00:00:00Z"})
    elif case == "the policy changed":
        prev.policy_hash = "0" * 16
    data = _discovered(3)
    data.previous = prev
    disc = JobObs("run-1", lbl("discovery"), succeeded=True)
    r = reg(spec=spec(scan={"batchSize": 1}))
    if case != "the policy changed":
        prev.policy_hash = builders.policy_hash(RegistrySpec.model_validate(r.spec))
    plan = reconcile(Observed(registries=[r], jobs=[disc], runs={"run-1": data}), SETTINGS, NOW)
    assert len(_shards_of(plan)) == queued, case


def _shard_result(run: str, digests: list[str], failed: int = 0) -> RunIndex:
    imgs = [
        RunImage(
            registry="h",
            repository="app",
            tags=["v1"],
            digest=d,
            platform="linux/amd64",
            status="ok",
            summary=Summary(critical=1, high=2, total=3, fixable=2),
            policy=CheckResult(passed=False),
        )
        for d in digests
    ]
    return RunIndex(runId=run, startedAt="t", images=imgs, scanned=len(digests), failed=failed)


def test_restarted_mid_scan_rederives_and_does_not_duplicate() -> None:
    disc = JobObs("run-1", lbl("discovery"), succeeded=True)
    scan = JobObs(naming.scan_job_name("run-1"), lbl("scan", **{L.RUN_ID: "run-1"}), active=2)
    obs = Observed(registries=[reg()], jobs=[disc, scan], runs={"run-1": _discovered(3)})
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
    data = _discovered(3)
    data.shard_results = {0: _shard_result("run-1", D[:2]), 1: _shard_result("run-1", D[2:3])}
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


def test_registry_deleted_cleans_up_by_labels() -> None:
    obs = Observed(
        registries=[reg(name="keep")],
        cronjobs=[
            ObjectObs("c1", lbl("discovery")),
            ObjectObs("c2", lbl("discovery", name="keep")),
        ],
        jobs=[JobObs("j1", lbl("scan", **{L.RUN_ID: "r"}), active=1)],
        secrets=[ObjectObs("s1", lbl("auth"))],
    )
    plan = reconcile(obs, SETTINGS, NOW)
    ns = SETTINGS.namespace
    assert sorted(plan.delete) == [("CronJob", ns, "c1"), ("Job", ns, "j1"), ("Secret", ns, "s1")]


def test_reconcile_is_idempotent() -> None:
    first = reconcile(Observed(registries=[reg()]), SETTINGS, NOW)
    status = first.status[0][2]
    cron = applied(first, "CronJob")[0]
    obs = Observed(
        registries=[reg(status=status)],
        cronjobs=[
            ObjectObs(
                cron["metadata"]["name"],
                cron["metadata"]["labels"],
                cron["metadata"]["annotations"],
            )
        ],
    )
    second = reconcile(obs, SETTINGS, NOW + dt.timedelta(seconds=5))
    assert first.apply and second.apply == []  # unchanged objects are not applied again
    assert second.status == [] and second.delete == []


def test_names_are_dns_safe_and_bounded() -> None:
    name = naming.cronjob_name("a" * 63, "B_weird.Name" * 20)
    assert len(name) <= 52 and name == name.lower()
    assert naming.cronjob_name("ns", "x") == naming.cronjob_name("ns", "x")
    assert naming.cronjob_name("ns", "x") != naming.cronjob_name("ns-x", "")


def test_failed_discovery_is_degraded() -> None:
    disc = JobObs("run-1", lbl("discovery"), failed=True)
    plan = reconcile(Observed(registries=[reg()], jobs=[disc]), SETTINGS, NOW)
    degraded = cond(plan.status[0][2], "Degraded")
    assert degraded["status"] == "True" and degraded["reason"] == "DiscoveryFailed"
