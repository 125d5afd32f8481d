"""reconcile tables, a Registry's own objects: CronJob, spec changes, invalid specs, auth,
manual trigger, deletion, idempotency, names (pure).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from controller.api import labels as L
from controller.core import naming
from controller.core.observed import AuthSecret, JobObs, ObjectObs, Observed
from controller.core.reconcile import reconcile
from tests.unit.reconcile_tables import (
    NOW,
    SETTINGS,
    applied,
    cond,
    lbl,
    reg,
    spec,
)


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
        (
            {"platforms": [{"os": "windows", "arch": "amd64", "osVersion": "10.0:17763"}]},
            "spec.platforms[0]",
            "os.version '10.0:17763'",
        ),
        ({"url": "ftp://x"}, "spec.url", "http"),
        ({"scan": {"batchSize": 0}}, "spec.scan.batchSize", "greater than or equal"),
        ({"repositories": [{"name": "../etc"}]}, "spec.repositories[0].name", "not a valid"),
        ({"policy": {"failOn": "SEVERE"}}, "spec.policy.failOn", "CRITICAL"),
        (
            {"scanner": {"dbRepository": "https://ghcr.io/aquasecurity/trivy-db"}},
            "spec.scanner.dbRepository",
            "no scheme",
        ),
        ({"scanner": {"name": "harbor"}}, "spec.scanner.url", "required with name harbor"),
        (
            {"scanner": {"name": "harbor", "url": "scanner:8080"}},
            "spec.scanner.url",
            "not an http(s) URL",
        ),
        (
            {"scanner": {"name": "harbor", "url": "http://", "authSecret": "t"}},
            "spec.scanner.url",
            "with a host",
        ),
        (
            {"scanner": {"name": "harbor", "url": "http://s", "dbRepository": "m.io/db:2"}},
            "spec.scanner.dbRepository",
            "harbor scanner keeps its own DB",
        ),
        ({"scanner": {"url": "http://s"}}, "spec.scanner.url", "only for name harbor"),
        ({"scanner": {"authSecret": "t"}}, "spec.scanner.authSecret", "only for name harbor"),
        ({"scanner": {"name": "clair"}}, "spec.scanner.name", "'trivy' or 'harbor'"),
        (
            {"scanner": {"name": "harbor", "url": "http://s", "authScheme": "Digest"}},
            "spec.scanner.authScheme",
            "'Bearer', 'Basic' or 'APIKey'",
        ),
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
    [
        (None, "AuthSecretNotFound"),
        (AuthSecret("Opaque", {".dockerconfigjson": "{}"}), "AuthSecretInvalid"),
        (AuthSecret("kubernetes.io/dockerconfigjson", {"config.json": "{}"}), "AuthSecretInvalid"),
    ],
)
def test_auth_secret_missing_or_wrong_type(secret: AuthSecret | None, reason: str) -> None:
    r = reg(spec=spec(authSecret="pull"))
    auth = {} if secret is None else {("team-a", "pull"): secret}
    plan = reconcile(Observed(registries=[r], auth=auth), SETTINGS, NOW)
    assert cond(plan.status[0][2], "Ready")["reason"] == reason
    assert not plan.apply


def test_auth_secret_is_copied_and_mounted() -> None:
    r = reg(spec=spec(authSecret="pull"))
    data = {".dockerconfigjson": '{"auths":{}}'}
    auth = {("team-a", "pull"): AuthSecret("kubernetes.io/dockerconfigjson", data)}
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
