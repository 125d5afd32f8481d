"""The poll loop on the in-memory API stand-in and a filesystem store: fault isolation,
conflicts and 5xx, store outages, deletion mid-run, auth Secret copies, leader election.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from controller.api import labels as L
from controller.core.status import merge_patch
from controller.leader import LEASE_NAME, LeaderElector, lease_action
from controller.loop import Controller
from controller.settings import Settings
from job_images.store.backends import FilesystemStore
from regscan.common import layout
from regscan.common.discovery import DiscoveryResult, ImageEntry
from regscan.common.errors import StoreError
from tests.bench.fakekube import FakeKube

NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)
OWN = "regscan-system"
SETTINGS = Settings(namespace=OWN, job_image="regscan:test", s3_bucket="b")
PASSWORD = "s3cr3t-Pa55word"


def make(tmp_path: Path) -> tuple[FakeKube, Controller, FilesystemStore]:
    kube = FakeKube()
    store = FilesystemStore(tmp_path / "store")
    return kube, Controller(kube, store, SETTINGS, clock=lambda: NOW), store


def status(kube: FakeKube, name: str, ns: str = "team-a") -> dict[str, Any]:
    return kube.registry(ns, name).get("status") or {}


def cond(kube: FakeKube, name: str, type_: str) -> dict[str, Any]:
    return next(c for c in status(kube, name)["conditions"] if c["type"] == type_)


def spec(**kw: Any) -> dict[str, Any]:
    return {"url": "https://harbor.example.com", **kw}


def discovered(kube: FakeKube, store: FilesystemStore, reg: str, n: int = 3) -> str:
    """A finished discovery Job for `reg` and its result in the store."""
    run = f"run-{reg}"
    labels = {
        L.MANAGED_BY: L.MANAGED_BY_VALUE,
        L.COMPONENT: "discovery",
        L.REGISTRY_NAMESPACE: "team-a",
        L.REGISTRY_NAME: reg,
    }
    kube.create({"kind": "Job", "metadata": {"name": run, "namespace": OWN, "labels": labels}})
    kube.job_finished(OWN, run, True, "2026-11-22T09:59:00Z")
    images = [
        ImageEntry(
            registry="h",
            repository="app",
            tags=["v1"],
            digest="sha256:" + f"{i:x}" * 64,
            platform="linux/amd64",
        )
        for i in range(n)
    ]
    store.put(
        layout.under("team-a", layout.discovery_key(run)),
        DiscoveryResult(images=images).to_json().encode(),
    )
    return run


def test_invalid_spec_does_not_stop_the_others(tmp_path: Path) -> None:
    kube, controller, _ = make(tmp_path)
    bad_cel = {"name": "x", "matchConditions": [{"name": "semver-only", "expression": "tag.("}]}
    kube.put_registry("team-a", "bad-cel", spec(repositories=[bad_cel]))
    kube.put_registry("team-a", "bad-cron", spec(schedule="61 * * * *"))
    kube.put_registry("team-a", "bad-platform", spec(platforms=[{"os": "linux", "arch": "sparc9"}]))
    kube.put_registry("team-a", "good", spec())
    report = controller.tick()
    assert report.errors == []
    assert [c["metadata"]["labels"][L.REGISTRY_NAME] for c in kube.named("CronJob")] == ["good"]
    for name, field in [
        ("bad-cel", "spec.repositories[0].matchConditions"),
        ("bad-cron", "spec.schedule"),
        ("bad-platform", "spec.platforms[0]"),
    ]:
        ready = cond(kube, name, "Ready")
        assert ready["status"] == "False" and ready["reason"] == "InvalidSpec", name
        assert ready["message"].startswith(field), ready["message"]
    assert "semver-only" in cond(kube, "bad-cel", "Ready")["message"]
    assert cond(kube, "good", "Ready")["status"] == "True"


@pytest.mark.parametrize("http_status", [409, 500, 503])
def test_api_conflict_or_5xx_degrades_one_registry_then_recovers(
    tmp_path: Path, http_status: int
) -> None:
    kube, controller, _ = make(tmp_path)
    kube.put_registry("team-a", "a", spec())
    kube.put_registry("team-a", "b", spec())
    kube.fail("apply", "CronJob", http_status)  # the first apply fails: Registry "a"
    report = controller.tick()
    assert len(report.errors) == 1 and "a" in report.errors[0]
    degraded = cond(kube, "a", "Degraded")
    assert degraded["status"] == "True" and degraded["reason"] == "ReconcileError"
    assert f"HTTP {http_status}" in degraded["message"]
    assert len(kube.named("CronJob")) == 1  # "b" went on
    controller.tick()
    assert len(kube.named("CronJob")) == 2
    assert cond(kube, "a", "Degraded")["status"] == "False"


def test_store_down_creates_no_job_and_nothing_is_lost(tmp_path: Path) -> None:
    kube, controller, store = make(tmp_path)
    kube.put_registry("team-a", "a", spec())
    run = discovered(kube, store, "a")

    def down(*args: Any, **kw: Any) -> None:
        raise StoreError("s3 http://minio bucket b: put: MaxRetryError")

    real_put = store.put
    store.put = down  # type: ignore[method-assign]
    controller.tick()
    assert [j for j in kube.named("Job") if j["metadata"]["labels"][L.COMPONENT] == "scan"] == []
    assert "MaxRetryError" in cond(kube, "a", "Degraded")["message"]
    store.put = real_put  # type: ignore[method-assign]
    controller.tick()
    controller.tick()
    scans = [j for j in kube.named("Job") if j["metadata"]["labels"][L.COMPONENT] == "scan"]
    assert len(scans) == 1 and scans[0]["metadata"]["labels"][L.RUN_ID] == run
    assert store.exists(layout.under("team-a", layout.shard_key(run, 0)))


def test_registry_deleted_mid_run(tmp_path: Path) -> None:
    kube, controller, store = make(tmp_path)
    kube.put_registry("team-a", "a", spec())
    discovered(kube, store, "a")
    controller.tick()
    assert {j["metadata"]["labels"][L.COMPONENT] for j in kube.named("Job")} == {
        "discovery",
        "scan",
    }
    del kube.objects[("Registry", "team-a", "a")]
    report = controller.tick()
    assert report.errors == []
    assert kube.named("Job") == [] and kube.named("CronJob") == []


def _dockerconfig(kube: FakeKube, ns: str, name: str, type_: str) -> None:
    config = {
        "auths": {
            "harbor.example.com": {"auth": base64.b64encode(f"u:{PASSWORD}".encode()).decode()}
        }
    }
    kube.objects[("Secret", ns, name)] = {
        "kind": "Secret",
        "type": type_,
        "metadata": {"name": name, "namespace": ns},
        "data": {".dockerconfigjson": base64.b64encode(json.dumps(config).encode()).decode()},
    }


def test_auth_secret_copied_per_run_and_never_shown(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    kube, controller, store = make(tmp_path)
    _dockerconfig(kube, "team-a", "pull", "kubernetes.io/dockerconfigjson")
    _dockerconfig(kube, "team-b", "only-in-b", "kubernetes.io/dockerconfigjson")
    _dockerconfig(kube, "team-a", "opaque", "Opaque")
    kube.put_registry("team-a", "a", spec(authSecret="pull"))
    kube.put_registry("team-a", "wrong-type", spec(authSecret="opaque"))
    kube.put_registry("team-a", "other-ns", spec(authSecret="only-in-b"))  # not readable
    run = discovered(kube, store, "a")
    controller.tick()
    copies = [s for (k, ns, _), s in kube.objects.items() if k == "Secret" and ns == OWN]
    assert {s["metadata"]["labels"].get(L.RUN_ID) for s in copies} == {None, run}
    (scan,) = [j for j in kube.named("Job") if j["metadata"]["labels"][L.COMPONENT] == "scan"]
    volumes = scan["spec"]["template"]["spec"]["volumes"]
    assert any(v.get("secret", {}).get("secretName", "").startswith("rs-auth") for v in volumes)
    assert cond(kube, "wrong-type", "Ready")["reason"] == "AuthSecretInvalid"
    assert cond(kube, "other-ns", "Ready")["reason"] == "AuthSecretNotFound"
    # the password is in no status, no event, no log line, no argv
    shown = json.dumps([kube.named("Registry"), kube.named("Event"), kube.named("CronJob")])
    shown += json.dumps(scan["spec"]["template"]["spec"]["containers"][0]["args"])
    assert PASSWORD not in shown and PASSWORD not in caplog.text
    # the scan Job finishing removes the run-scoped copy
    kube.job_finished(OWN, scan["metadata"]["name"], True, "2026-11-22T10:05:00Z")
    controller.tick()
    copies = [s for (k, ns, _), s in kube.objects.items() if k == "Secret" and ns == OWN]
    assert {s["metadata"]["labels"].get(L.RUN_ID) for s in copies} == {None}


def test_status_patch_failure_is_retried_next_tick(tmp_path: Path) -> None:
    kube, controller, _ = make(tmp_path)
    kube.put_registry("team-a", "a", spec())
    kube.fail("patch_status", "Registry", 500, times=2)  # the patch and the Degraded record
    report = controller.tick()
    assert report.errors and "status" not in kube.registry("team-a", "a")
    controller.tick()
    assert cond(kube, "a", "Ready")["status"] == "True"


def test_merge_patch_removes_what_is_gone() -> None:
    old = {"a": 1, "b": {"c": 2, "d": 3}, "e": [1]}
    new = {"a": 1, "b": {"c": 2}, "e": [2], "f": "x"}
    assert merge_patch(old, new) == {"b": {"d": None}, "e": [2], "f": "x"}
    assert merge_patch(new, new) == {}


def test_leader_election_two_replicas() -> None:
    kube = FakeKube()
    a, b = LeaderElector(kube, OWN, "a", 30), LeaderElector(kube, OWN, "b", 30)
    assert a.ensure(NOW) and not b.ensure(NOW)
    assert a.ensure(NOW + dt.timedelta(seconds=20))  # renewed
    assert not b.ensure(NOW + dt.timedelta(seconds=45))  # a renewed at +20: not expired
    assert b.ensure(NOW + dt.timedelta(seconds=51))  # a stopped renewing: b takes over
    lease = kube.objects[("Lease", OWN, LEASE_NAME)]
    assert lease["spec"]["holderIdentity"] == "b" and lease["spec"]["leaseTransitions"] == 1
    assert not a.ensure(NOW + dt.timedelta(seconds=52))
    b.release()
    assert a.ensure(NOW + dt.timedelta(seconds=53))  # released: no wait for expiry
    # a stale write (another replica renewed in between) is a 409 and loses
    stale = kube.get("Lease", OWN, LEASE_NAME)
    assert a.ensure(NOW + dt.timedelta(seconds=54))
    assert stale is not None
    with pytest.raises(Exception, match="409"):
        kube.replace(stale)
    assert lease_action(None, "x", NOW) == "create"
