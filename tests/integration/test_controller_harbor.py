"""The controller with `spec.scanner.name: harbor` on the real bench: the scan Job's pods
(run as local processes with the Job's args, env and volumes) send every digest to
`regscan serve` — a real Harbor Scanner Adapter API server with its own Trivy — using the
token the controller copied from the Registry's Secret, and the registry's credentials
from its dockerconfigjson Secret."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

from controller.api import labels as L
from controller.core import naming
from job_images.scanning.adapters.harbor_remote import HarborRemoteAdapter
from regscan.common import layout
from regscan.common.reports import Report
from tests.bench import servers
from tests.bench.controllerrun import NS, OWN, World, jobs, new_world, scan_run
from tests.bench.fakekube import FakeKube
from tests.bench.podrunner import job_from_cronjob, run_pod
from tests.bench.serve import TOKEN, Served

REPOSITORIES = ("team/app", "team/py")  # team/serve stays unscanned for test_serve


def _world(s3: servers.S3Server, served: Served, trivy_db_ref: str, token: str) -> World:
    bucket = f"harbor-{dt.datetime.now().strftime('%H%M%S%f')}"
    scanner = {"name": "harbor", "url": served.url, "authSecret": "scan-token"}
    world = new_world(
        s3,
        served.registry.url,
        trivy_db_ref,
        bucket,
        auth=served.registry.auth,
        spec_patch={"repositories": [{"name": r} for r in REPOSITORIES], "scanner": scanner},
    )
    world.kube.objects[("Secret", NS, "scan-token")] = {
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": "scan-token", "namespace": NS},
        "data": {"token": base64.b64encode(f"{token}\n".encode()).decode()},
    }
    return world


def _copies(kube: FakeKube) -> list[dict[str, Any]]:
    return [
        o
        for (kind, ns, _), o in kube.objects.items()
        if kind == "Secret" and ns == OWN and L.RUN_ID in o["metadata"].get("labels", {})
    ]


def test_a_registry_scanned_by_a_harbor_adapter(
    s3: servers.S3Server, served: Served, trivy_db_ref: str, tmp_path: Path
) -> None:
    world = _world(s3, served, trivy_db_ref, TOKEN)
    merged = scan_run(world, run_pod, tmp_path)
    assert {i.repository for i in merged.images} == set(REPOSITORIES)
    assert all(i.status == "ok" and not i.reused for i in merged.images)
    remote = HarborRemoteAdapter(served.url, env={"REGSCAN_SCANNER_TOKEN": TOKEN}).metadata()
    assert merged.scanner is not None and merged.scanner.same_as(remote)
    for image in merged.images:
        stored = world.store.get(layout.under(NS, layout.report_key(image.digest)))
        assert stored is not None
        report = Report.model_validate_json(stored)
        assert report.scanner.same_as(remote)
        served_report = Report.model_validate_json(
            (served.out / layout.report_key(image.digest)).read_bytes()
        )  # the server's own report of the digest: the same findings reached the cluster run
        assert [v.id for v in report.vulnerabilities] == [
            v.id for v in served_report.vulnerabilities
        ]
        assert report.vulnerabilities  # the planted CVEs, not an empty match
        sbom = world.store.get(layout.under(NS, layout.sbom_key(image.digest)))
        assert sbom and json.loads(sbom)["spdxVersion"].startswith("SPDX-")
    status = world.kube.registry(NS, "harbor")["status"]
    assert status["lastScan"]["scanned"] == len({i.digest for i in merged.images})
    assert "database" not in status  # a harbor scanner's DB is its own: nothing to follow
    assert _copies(world.kube) == []  # the run's token and pull copies went with the run
    (scan,) = jobs(world.kube, "scan")
    assert TOKEN not in json.dumps(scan)


def test_a_wrong_token_fails_the_shard_in_one_line(
    s3: servers.S3Server, served: Served, trivy_db_ref: str, tmp_path: Path
) -> None:
    token = "wrong-token-456"
    world = _world(s3, served, trivy_db_ref, token)
    world.controller.tick()
    (cron,) = world.kube.named("CronJob")
    disc = job_from_cronjob(world.kube, cron, "29398201")
    world.kube.job_started(OWN, disc["metadata"]["name"], world.clock.step())
    assert run_pod(world.kube, disc, tmp_path).returncode == 0
    world.kube.job_finished(OWN, disc["metadata"]["name"], True, world.clock.step())
    world.controller.tick()
    (scan,) = jobs(world.kube, "scan")
    (copy,) = [c for c in _copies(world.kube) if c["type"] == "Opaque"]
    assert copy["metadata"]["name"] == naming.scanner_secret_name(disc["metadata"]["name"])
    proc = run_pod(world.kube, scan, tmp_path, 0)
    assert proc.returncode == 1  # nothing could be scanned: the index fails (and is retried)
    (line,) = proc.stderr.splitlines()
    assert "HTTP 401" in line and "spec.scanner.authSecret" in line and token not in line
