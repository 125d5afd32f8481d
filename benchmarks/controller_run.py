"""One controller benchmark run against one backend (does I/O; see benchmarks/controller.py)."""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from benchmarks.controller_backends import ApiServerBackend, Backend, MemoryBackend
from controller.api import labels as L
from controller.core import naming
from controller.kube.client import OWNED_SELECTOR
from controller.loop import Controller
from controller.settings import Settings
from job_images.store.backends import FilesystemStore
from regscan.common import layout
from regscan.common.discovery import DiscoveryResult, ImageEntry
from regscan.common.reports import RunImage, RunIndex, ScannerInfo, Summary

SCANNER = ScannerInfo(name="trivy", version="0.76.0", dbUpdatedAt="2026-11-22T00:00:00Z")


def _digest(r: int, i: int) -> str:
    return "sha256:" + f"{r:04x}{i:04x}".ljust(64, "0")


def _discover_all(b: Backend, store: FilesystemStore, images: int) -> None:
    for cron in b.kube.list("CronJob", b.own, OWNED_SELECTOR):
        r = int(cron["metadata"]["labels"][L.REGISTRY_NAME].split("-")[-1])
        run = f"{cron['metadata']['name']}-1"
        b.start_discovery(cron, run)
        job = b.kube.get("Job", b.own, run)
        assert job is not None
        b.finish(job)
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
        store.put(layout.under(b.ns, layout.discovery_key(run)), found.to_json().encode())


def _finish_scans(b: Backend, store: FilesystemStore) -> None:
    for job in b.kube.list("Job", b.own, f"{L.COMPONENT}=scan"):
        run = job["metadata"]["labels"][L.RUN_ID]
        for shard in range(job["spec"]["completions"]):
            spec = store.get(layout.under(b.ns, layout.shard_key(run, shard)))
            assert spec is not None
            result = RunIndex(runId=run, startedAt="t", scanner=SCANNER)
            for img in json.loads(spec)["images"]:
                result.images.append(
                    RunImage(
                        registry="h",
                        repository=img["repository"],
                        tags=img["tags"],
                        digest=img["digest"],
                        platform=img["platform"],
                        status="ok",
                        summary=Summary(high=1, total=1),
                        scannedWith=SCANNER,
                    )
                )
            store.put(layout.under(b.ns, layout.shard_result_key(run, shard)), result.to_json())
        b.finish(job)


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _apply_to_cronjob(
    b: Backend, controller: Controller, poll: float, guard: AbstractContextManager[Any], n: int = 5
) -> dict[str, Any]:
    """Seconds from creating a Registry to its CronJob existing, the loop ticking meanwhile."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            with guard:
                controller.tick()
            stop.wait(poll)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    took = []
    try:
        for k in range(n):
            name = f"new-{k}"
            cron = naming.cronjob_name(b.ns, name)
            with guard:
                b.add_registry(name, {"url": f"https://new{k}.example.com"})
            started = time.perf_counter()
            while True:
                with guard:
                    if b.kube.get("CronJob", b.own, cron) is not None:
                        break
                time.sleep(0.01)
            took.append(time.perf_counter() - started)
    finally:
        stop.set()
        thread.join()
    return {"median": statistics.median(took), "max": max(took), "n": n}


def run_backend(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    b: Backend = (
        MemoryBackend(args.api_ms) if kind == "memory" else ApiServerBackend(args.kubeconfig)
    )
    label = f"in-memory ({args.api_ms:g} ms/call)" if kind == "memory" else "kube-apiserver"
    phases: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            store = FilesystemStore(Path(tmp))
            for r in range(args.registries):
                b.add_registry(f"reg-{r:04d}", {"url": f"https://r{r}.example.com"})
            settings = Settings(
                namespace=b.own,
                watch_namespaces=b.ns,
                job_image="regscan:bench",
                rescan_after_hours=0,
                db_check_seconds=0,
            )
            controller = Controller(b.kube, store, settings)

            def phase(setup: Callable[[], None] | None = None) -> None:
                if setup is not None:
                    b.counting(False)
                    setup()
                b.counting(True)
                before = len(b.requests())
                started = time.perf_counter()
                report = controller.tick()
                seconds = time.perf_counter() - started
                sent = b.requests()[before:]
                writes = sum(1 for m in sent if m.lower() not in ("get", "list"))
                if report.errors:
                    raise RuntimeError(f"tick errors: {report.errors[:3]}")
                phases.append(
                    {
                        "seconds": seconds,
                        "requests": len(sent),
                        "writes": writes,
                        "rss_mib": _rss_mib(),
                    }
                )

            phase()  # first tick (create)
            phase()  # steady
            phase(lambda: _discover_all(b, store, args.images))
            phase()  # scans running
            phase()  # steady (scans running)
            phase(lambda: _finish_scans(b, store))
            phase()  # steady again
            guard: AbstractContextManager[Any] = (
                threading.Lock() if kind == "memory" else nullcontext()  # the stand-in's dicts
            )
            latency = _apply_to_cronjob(b, controller, args.poll, guard)
    finally:
        b.close()
    return {"label": label, "phases": phases, "apply_to_cronjob": latency}
