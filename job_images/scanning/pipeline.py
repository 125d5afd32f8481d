"""The scan run: unique digests -> reuse or scan (parallel, with retries) -> run index
(does I/O: a thread pool, store reads, scans through the adapter).

Each digest is scanned once however many repositories and tags share it. A stored
report current for the scanner and DB is reused (plan.reusable); one made with an
older DB is re-stamped without a scan when the DB update cannot change it (the adapter's
`revalidate`), else its stored SBOM is scanned again; `rescan` scans every stored SBOM.
The adapter stores SBOMs, reports and SARIF and applies the policy; a failure is
recorded per image and the run goes on.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from job_images.credentials import Credentials
from job_images.scanning import artifacts
from job_images.scanning.adapters.base import AdapterError, ScannerAdapter, ScanResult
from job_images.scanning.plan import Outcome, build_index, by_digest, reusable
from job_images.scanning.policy import spec_of
from job_images.scanning.scanner import ImageRef
from job_images.store.protocol import ObjectStore
from regscan.common.discovery import ImageEntry
from regscan.common.progress import DIGESTS, FAILED, REUSED, SCANNED, Notify, no_progress
from regscan.common.reports import RunIndex
from regscan.common.timeutil import iso, utcnow

log = logging.getLogger("regscan.scan")


@dataclass(frozen=True)
class ScanOptions:
    run_id: str
    registry_url: str
    parallel: int = 4
    rescan: bool = False
    retries: int = 2
    retry_delay: float = 1.0  # seconds before the first retry; doubles each time


def with_retries(
    call: Callable[[], ScanResult],
    what: str,
    retries: int,
    delay: float,
    sleep: Callable[[float], None],
) -> ScanResult | AdapterError:
    """The result, or the last error: retried only while the error says `can_retry`."""
    for attempt in range(retries + 1):
        try:
            return call()
        except AdapterError as exc:
            log.warning("%s: %s [%s]", what, exc.message, exc.error_code)
            if not exc.can_retry or attempt == retries:
                return exc
            sleep(delay * (2**attempt))
    raise AssertionError("unreachable")


def scan_images(
    images: list[ImageEntry],
    adapter: ScannerAdapter,
    store: ObjectStore,
    credentials: Credentials | None,
    options: ScanOptions,
    now: Callable[[], dt.datetime] = utcnow,
    sleep: Callable[[float], None] = time.sleep,
    progress: Notify = no_progress,
) -> RunIndex:
    """Scan `images`; `progress` hears the digest count, then each scanned/reused/failed."""
    started = now()
    adapter.prepare()
    scanner = adapter.metadata()
    groups = by_digest(images)
    progress(DIGESTS, len(groups))

    def work(digest: str) -> Outcome:
        outcome = _work(digest)
        progress(FAILED if outcome.report is None else REUSED if outcome.reused else SCANNED, 1)
        return outcome

    def _work(digest: str) -> Outcome:
        ref = ImageRef.of_entries(options.registry_url, groups[digest])
        stored = artifacts.load_report_for_run(store, digest)
        if stored is not None and reusable(stored, scanner, options.rescan):
            return Outcome(stored, reused=True, verdict=adapter.evaluate(stored))
        if stored is not None and not options.rescan:  # made with another DB
            verified = adapter.revalidate(stored)
            if verified is not None:  # the DB update cannot change it: no scan
                return Outcome(verified.report, reused=True, verdict=verified.check)

        def scan() -> ScanResult:
            if options.rescan:
                return adapter.rescan_image(ref, credentials, stored)
            return adapter.scan_image(ref, credentials)

        result = with_retries(scan, ref.reference, options.retries, options.retry_delay, sleep)
        if isinstance(result, AdapterError):
            return Outcome(None, error=result.message, error_code=result.error_code)
        return Outcome(result.report, verdict=result.check)

    with ThreadPoolExecutor(max_workers=max(1, options.parallel)) as pool:
        outcomes = dict(zip(groups, pool.map(work, list(groups)), strict=True))
    index = build_index(
        options.run_id,
        options.registry_url,
        images,
        outcomes,
        scanner,
        iso(started),
        iso(now()),
    )
    index.policy = spec_of(adapter.policy)  # the verdicts live with the run that made them
    return index
