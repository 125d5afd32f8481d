"""Controller tick benchmark: 500 Registries in one namespace.

Run: `python -m benchmarks.controller [--registries 500] [--images 50] [--api-ms 2]`.
The API server is the in-memory stand-in from the test bench with a fixed latency
per request (--api-ms), the store a local folder. Prints, for each phase, the tick
wall time, the API requests it made (and how many wrote) and the process's peak RSS.

Phases: first tick (500 CronJobs applied, 500 status patches); steady tick
(nothing changed); every Registry's discovery done (shard lists + 500 Indexed Jobs);
every scan Job done (500 merged indexes + summaries); steady again.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from controller.api import labels as L
from controller.loop import Controller
from controller.settings import Settings
from job_images.store.backends import FilesystemStore
from regscan.common import layout
from regscan.common.discovery import DiscoveryResult, ImageEntry
from regscan.common.reports import RunImage, RunIndex, ScannerInfo, Summary
from tests.bench.fakekube import FakeKube

OWN, NS = "regscan-system", "bench"
NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)


class SlowKube(FakeKube):
    """Adds a fixed round-trip per API request, like a nearby API server."""

    delay = 0.0

    def _check(self, method: str, kind: str, name: str) -> None:
        time.sleep(self.delay)
        super()._check(method, kind, name)


def _digest(r: int, i: int) -> str:
    return "sha256:" + f"{r:04x}{i:04x}".ljust(64, "0")


def _discover_all(kube: FakeKube, store: FilesystemStore, n: int, images: int) -> None:
    for r in range(n):
        run = f"run-{r:04d}"
        labels = {
            L.MANAGED_BY: L.MANAGED_BY_VALUE,
            L.COMPONENT: "discovery",
            L.REGISTRY_NAMESPACE: NS,
            L.REGISTRY_NAME: f"reg-{r:04d}",
        }
        kube.objects[("Job", OWN, run)] = {
            "kind": "Job",
            "metadata": {"name": run, "namespace": OWN, "labels": labels},
        }
        kube.job_finished(OWN, run, True, "2026-11-22T09:59:00Z")
        found = DiscoveryResult(
            images=[
                ImageEntry(
                    registry="h",
                    repository=f"app{i % 10}",
                    tags=[str(i)],
                    digest=_digest(r, i),
                    platform="linux/amd64",
                )
                for i in range(images)
            ]
        )
        store.put(layout.under(NS, layout.discovery_key(run)), found.to_json().encode())


def _finish_all(kube: FakeKube, store: FilesystemStore) -> None:
    scanner = ScannerInfo(name="trivy", version="0.76.0", dbUpdatedAt="2026-11-22T00:00:00Z")
    for (kind, _, name), job in list(kube.objects.items()):
        if kind != "Job" or job["metadata"]["labels"].get(L.COMPONENT) != "scan":
            continue
        run = job["metadata"]["labels"][L.RUN_ID]
        for shard in range(job["spec"]["completions"]):
            spec = store.get(layout.under(NS, layout.shard_key(run, shard)))
            assert spec is not None
            import json

            body = json.loads(spec)
            result = RunIndex(runId=run, startedAt="t", scanner=scanner)
            for img in body["images"]:
                result.images.append(
                    RunImage(
                        registry="h",
                        repository=img["repository"],
                        tags=img["tags"],
                        digest=img["digest"],
                        platform=img["platform"],
                        status="ok",
                        summary=Summary(high=1, total=1),
                        scanned_with=scanner,
                    )
                )
            store.put(layout.under(NS, layout.shard_result_key(run, shard)), result.to_json())
        kube.job_finished(OWN, name, True, "2026-11-22T10:20:00Z")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--registries", type=int, default=500)
    parser.add_argument("--images", type=int, default=50, help="images per Registry")
    parser.add_argument("--api-ms", type=float, default=2.0, help="latency per API request")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = FilesystemStore(Path(tmp))
        kube = SlowKube()
        for r in range(args.registries):
            kube.put_registry(NS, f"reg-{r:04d}", {"url": f"https://r{r}.example.com"})
        settings = Settings(namespace=OWN, job_image="regscan:bench", rescan_after_hours=0)
        controller = Controller(kube, store, settings, clock=lambda: NOW)
        SlowKube.delay = args.api_ms / 1000
        print(f"{args.registries} Registries x {args.images} images, {args.api_ms} ms per API call")
        print(f"{'phase':28s} {'tick s':>8s} {'requests':>9s} {'writes':>7s} {'RSS MiB':>8s}")

        def phase(name: str, setup: Any = None) -> None:
            if setup:
                SlowKube.delay = 0
                setup()
                SlowKube.delay = args.api_ms / 1000
            before = len(kube.calls)
            started = time.perf_counter()
            report = controller.tick()
            wall = time.perf_counter() - started
            calls = kube.calls[before:]
            writes = sum(1 for c in calls if c[0] not in ("list", "get"))
            assert not report.errors, report.errors[:3]
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"{name:28s} {wall:8.2f} {len(calls):9d} {writes:7d} {rss:8.0f}")

        phase("first tick (create)")
        phase("steady")
        phase("discoveries done", lambda: _discover_all(kube, store, args.registries, args.images))
        phase("scans running")
        phase("steady (scans running)")
        phase("scans done (summaries)", lambda: _finish_all(kube, store))
        phase("steady")


if __name__ == "__main__":
    main()
