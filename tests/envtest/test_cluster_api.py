"""envtest: the controller's other API interactions on a real kube-apiserver.

The Lease election between two KubeClients, Events as `kubectl get events` lists
them, and a run started with `kubectl create job --from=cronjob/…` (the real
kubectl) picked up by the controller. No controller-manager runs: Jobs are
stored, never run; `finish_job` plays the Job controller.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from controller.api import labels as L
from controller.core import naming, reasons
from controller.kube.client import KubeClient, KubeError
from controller.leader import LEASE_NAME, LeaderElector
from controller.loop import Controller
from controller.settings import Settings
from job_images.store.backends import FilesystemStore
from regscan.common import layout
from regscan.common.discovery import DiscoveryResult, ImageEntry
from tests.bench.apiserver import finish_job
from tests.envtest.conftest import NS, OWN, ApiServer, registry


def test_two_kube_clients_elect_one_leader_through_a_real_lease(crd: ApiServer) -> None:
    a_kube = KubeClient.from_environment(str(crd.kubeconfig))
    b_kube = KubeClient.from_environment(str(crd.kubeconfig))
    a = LeaderElector(a_kube, OWN, "replica-a", duration_seconds=30)
    b = LeaderElector(b_kube, OWN, "replica-b", duration_seconds=30)
    t0 = dt.datetime.now(dt.UTC)
    sec = dt.timedelta(seconds=1)
    assert a.ensure(t0) is True  # creates the Lease
    assert b.ensure(t0 + sec) is False  # held and fresh: b follows
    assert a.ensure(t0 + 10 * sec) is True  # renews
    assert b.ensure(t0 + 20 * sec) is False
    assert b.ensure(t0 + 41 * sec) is True  # a stopped renewing 31 s ago: b takes over
    assert a.ensure(t0 + 42 * sec) is False
    lease = a_kube.get("Lease", OWN, LEASE_NAME)
    assert lease is not None
    assert lease["spec"]["holderIdentity"] == "replica-b"
    assert lease["spec"]["leaseTransitions"] == 1
    assert lease["spec"]["leaseDurationSeconds"] == 30
    # two replicas that read the same Lease: the second write is refused (409), so one wins
    stale = a_kube.get("Lease", OWN, LEASE_NAME)
    assert b.ensure(t0 + 43 * sec) is True  # renews: a new resourceVersion
    assert stale is not None
    stale["spec"]["holderIdentity"] = "replica-a"
    with pytest.raises(KubeError) as err:
        a_kube.replace(stale)
    assert err.value.conflict
    # a replica that stops hands the Lease over at once
    b.release()
    assert a.ensure(t0 + 44 * sec) is True
    a.release()


def _discovered(store: FilesystemStore, run: str, count: int) -> None:
    images = [
        ImageEntry(
            registry="h",
            repository="app",
            tags=[str(i)],
            digest="sha256:" + f"{i:x}" * 64,
            platform="linux/amd64",
        )
        for i in range(count)
    ]
    key = layout.under(NS, layout.discovery_key(run))
    store.put(key, DiscoveryResult(images=images).to_json().encode())


def test_kubectl_create_job_from_the_cronjob_is_a_run_and_events_are_listed(
    crd: ApiServer, kube: KubeClient, tmp_path: Path
) -> None:
    settings = Settings(namespace=OWN, watch_namespaces=NS, job_image="regscan:test")
    store = FilesystemStore(tmp_path)
    controller = Controller(kube, store, settings)
    kube.create(registry("manual", {"url": "https://harbor.example.com", "scan": {"batchSize": 2}}))
    try:
        assert controller.tick().errors == []
        cron = naming.cronjob_name(NS, "manual")
        run = "rs-manual-by-kubectl"
        crd.kubectl("-n", OWN, "create", "job", run, f"--from=cronjob/{cron}")
        assert controller.tick().errors == []
        reg = kube.get("Registry", NS, "manual")
        assert reg is not None
        discovering = next(c for c in reg["status"]["conditions"] if c["type"] == "Discovering")
        assert discovering["status"] == "False"  # no pod runs the Job; it is not yet active
        finish_job(crd, OWN, run)
        _discovered(store, run, 3)
        assert controller.tick().errors == []
        (scan,) = kube.list("Job", OWN, f"{L.RUN_ID}={run}")
        assert scan["spec"]["completionMode"] == "Indexed" and scan["spec"]["completions"] == 2
        reg = kube.get("Registry", NS, "manual")
        assert reg is not None and reg["status"]["lastDiscovery"]["runId"] == run

        # a scan requested by annotation: a Job and an Event, listed like `kubectl get events`
        crd.kubectl("-n", NS, "annotate", "registry", "manual", f"{L.SCAN_REQUESTED}=now-1")
        assert controller.tick().errors == []
        events = crd.kubectl("-n", NS, "get", "events", "--no-headers").stdout
        line = next(x for x in events.splitlines() if reasons.SCAN_REQUESTED in x)
        assert "registry/manual" in line and "discovery started by annotation (now-1)" in line
        assert line.split()[1] == "Normal"
        assert controller.tick().errors == []  # the same request again: no second Event
        again = crd.kubectl("-n", NS, "get", "events", "--no-headers").stdout
        assert again.count(reasons.SCAN_REQUESTED) == 1
    finally:
        kube.delete("Registry", NS, "manual")
