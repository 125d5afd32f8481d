"""The scan queue of `regscan serve`: a bounded worker pool over a ScannerAdapter (I/O
through the adapter and the store; the state machine is `jobs.py`).

A scan request whose digest already has a current report in the store (same scanner,
version and DB) is done at once; otherwise it waits for one of `workers` threads, at
most `queue_limit` waiting: with `workers + queue_limit` scans in flight, `submit` raises
`QueueFull` (the API's 429). Each Trivy call is
bounded by the scanner's timeout (`--scan-timeout`).
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge

from job_images.credentials import Credentials
from job_images.scanning import artifacts
from job_images.scanning.adapters.base import AdapterError, ScannerAdapter
from job_images.store.protocol import ObjectStore
from regscan.common.errors import RegscanError
from regscan.serve import jobs
from regscan.serve.harbor_model import ScanOrder

KEEP_JOBS = 10_000  # finished jobs remembered for report requests (oldest dropped)


class QueueFull(Exception):
    pass


@dataclass
class Metrics:
    registry: CollectorRegistry
    scans: Counter
    queued: Gauge
    running: Gauge
    requests: Counter

    @classmethod
    def create(cls) -> Metrics:
        r = CollectorRegistry()
        return cls(
            r,
            Counter("regscan_serve_scans", "Scan requests by outcome", ["outcome"], registry=r),
            Gauge("regscan_serve_queued", "Scan jobs waiting for a worker", registry=r),
            Gauge("regscan_serve_running", "Scan jobs running", registry=r),
            Counter("regscan_serve_requests", "HTTP requests", ["route", "status"], registry=r),
        )


class ScanQueue:
    def __init__(
        self,
        adapter: ScannerAdapter,
        store: ObjectStore,
        workers: int = 2,
        queue_limit: int = 100,
        metrics: Metrics | None = None,
    ) -> None:
        self.adapter = adapter
        self.store = store
        self.queue_limit = queue_limit
        self.metrics = metrics or Metrics.create()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="regscan-scan")
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, jobs.Job] = OrderedDict()
        self.workers = workers
        self._waiting = 0  # submitted, no worker yet
        self._running = 0

    def get(self, job_id: str) -> jobs.Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def current_report(self, digest: str) -> bool:
        report = artifacts.load_report(self.store, digest)
        return report is not None and report.scanner.same_as(self.adapter.metadata())

    def submit(self, order: ScanOrder) -> jobs.Job:
        job = jobs.Job(uuid.uuid4().hex, order.image)
        stored = self.current_report(order.image.digest) and (
            "sbom" not in order.capabilities or artifacts.load_sbom(self.store, job.image.digest)
        )
        if stored:
            job = jobs.Job(job.id, job.image, jobs.State.DONE, from_store=True)
            self._remember(job)
            self.metrics.scans.labels("from_store").inc()
            return job
        with self._lock:
            if jobs.admit(self._waiting + self._running, self.workers + self.queue_limit) != 202:
                self.metrics.scans.labels("rejected").inc()
                raise QueueFull(f"{self._waiting} scans waiting (limit {self.queue_limit})")
            self._waiting += 1
            self.metrics.queued.set(self._waiting)
        self._remember(job)
        self._pool.submit(self._run, job.id, order.credentials)
        return job

    def _remember(self, job: jobs.Job) -> None:
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > KEEP_JOBS:
                self._jobs.popitem(last=False)

    def _move(self, job_id: str, to: jobs.State, error: str = "") -> jobs.Job:
        with self._lock:
            job = jobs.advance(self._jobs[job_id], to, error)
            self._jobs[job_id] = job
            return job

    def _run(self, job_id: str, credentials: Credentials | None) -> None:
        with self._lock:
            self._waiting -= 1
            self._running += 1
            self.metrics.queued.set(self._waiting)
        job = self._move(job_id, jobs.State.RUNNING)
        self.metrics.running.inc()
        try:
            self.adapter.scan_image(job.image, credentials)
        except AdapterError as exc:  # one line; never the credentials (Trivy's env file)
            self._move(job_id, jobs.State.FAILED, f"{exc.error_code}: {exc.message}")
            self.metrics.scans.labels("failed").inc()
        except RegscanError as exc:
            self._move(job_id, jobs.State.FAILED, str(exc))
            self.metrics.scans.labels("failed").inc()
        except Exception as exc:  # a worker must never die silently
            self._move(job_id, jobs.State.FAILED, f"internal error: {type(exc).__name__}")
            self.metrics.scans.labels("failed").inc()
        else:
            self._move(job_id, jobs.State.DONE)
            self.metrics.scans.labels("scanned").inc()
        finally:
            with self._lock:
                self._running -= 1
            self.metrics.running.dec()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
