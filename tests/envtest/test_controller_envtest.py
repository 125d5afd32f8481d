"""envtest tier: the real KubeClient and the loop against a real kube-apiserver + etcd.

Runs when KUBEBUILDER_ASSETS has kube-apiserver and etcd; skips (with the reason)
otherwise. There is no controller-manager in envtest, so this test plays the Job
controller by writing Job status through its subresource (`finish_job`).
"""

from __future__ import annotations

import time
from pathlib import Path

from controller.api import labels as L
from controller.core import naming
from controller.kube.client import KubeClient
from controller.loop import Controller
from controller.settings import Settings
from job_images.store.backends import FilesystemStore
from regscan.common import layout
from regscan.common.discovery import DiscoveryResult, ImageEntry
from tests.bench.apiserver import finish_job
from tests.envtest.conftest import NS, OWN, ApiServer, registry


def test_controller_creates_cronjob_indexed_job_and_status(
    crd: ApiServer, kube: KubeClient, tmp_path: Path
) -> None:
    settings = Settings(namespace=OWN, watch_namespaces=NS, job_image="regscan:test")
    store = FilesystemStore(tmp_path)
    kube.create(registry("harbor", {"url": "https://harbor.example.com", "scan": {"batchSize": 2}}))
    controller = Controller(kube, store, settings)
    report = controller.tick()
    assert report.errors == []
    (cron,) = kube.list("CronJob", OWN, f"{L.REGISTRY_NAME}=harbor")
    assert cron["metadata"]["name"] == naming.cronjob_name(NS, "harbor")
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    reg = kube.get("Registry", NS, "harbor")
    assert reg is not None
    ready = next(c for c in reg["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "True" and reg["status"]["observedGeneration"] == 1
    assert controller.tick().applied == 0  # unchanged: nothing re-applied

    # a finished discovery Job and its result -> one Indexed Job with 3 completions
    run = "rs-disc-envtest-1"
    template = cron["spec"]["jobTemplate"]
    kube.create(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": run, "namespace": OWN, "labels": template["metadata"]["labels"]},
            "spec": template["spec"],
        }
    )
    finish_job(crd, OWN, run)
    images = [
        ImageEntry(
            registry="h",
            repository="app",
            tags=[str(i)],
            digest="sha256:" + f"{i:x}" * 64,
            platform="linux/amd64",
        )
        for i in range(5)
    ]
    store.put(
        layout.under(NS, layout.discovery_key(run)),
        DiscoveryResult(images=images).to_json().encode(),
    )
    assert controller.tick().errors == []
    (scan,) = kube.list("Job", OWN, f"{L.RUN_ID}={run}")
    assert scan["spec"]["completionMode"] == "Indexed" and scan["spec"]["completions"] == 3
    # a restarted controller finds the same Job and does not create another
    assert Controller(kube, store, settings).tick().errors == []
    assert len(kube.list("Job", OWN, f"{L.RUN_ID}={run}")) == 1
    # the Registry is deleted: its objects go
    kube.delete("Registry", NS, "harbor")
    time.sleep(0.5)
    controller.tick()
    assert kube.list("CronJob", OWN, f"{L.REGISTRY_NAME}=harbor") == []
