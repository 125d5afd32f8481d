"""The scan run: unique digests -> SBOM + scan (parallel) -> reports -> run index (I/O via
the adapter and the store).

Each digest is scanned once however many repositories and tags share it. A report
that is complete for the current scanner and DB is reused; `rescan` re-scans from
stored SBOMs. Failures are recorded per image and the run goes on.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from job_images.credentials import Credentials
from job_images.scanning.adapters.base import AdapterError, ImageRef, ScannerAdapter
from job_images.scanning.policy import Policy, check
from job_images.scanning.sarif import to_sarif
from job_images.store.backends import ObjectStore
from regscan.common.discovery import ImageEntry
from regscan.common.layout import report_key, sarif_key
from regscan.common.reports import (
    CheckResult,
    Report,
    RunImage,
    RunIndex,
    ScannerInfo,
    Summary,
)
from regscan.common.timeutil import iso, utcnow

log = logging.getLogger("regscan.scan")


@dataclass
class ScanOptions:
    run_id: str
    registry_url: str
    parallel: int = 4
    rescan: bool = False
    retries: int = 2
    retry_delay: float = 1.0
    policy: Policy | None = None


@dataclass
class _Outcome:
    report: Report | None
    reused: bool
    error: AdapterError | None = None


def _stored_report(store: ObjectStore, digest: str) -> Report | None:
    data = store.get(report_key(digest))
    if data is None:
        return None
    try:
        return Report.model_validate_json(data)
    except ValueError:
        return None  # corrupt: scan again


def _current(report: Report, scanner: ScannerInfo) -> bool:
    return (report.scanner.name, report.scanner.version, report.scanner.db_updated_at) == (
        scanner.name,
        scanner.version,
        scanner.db_updated_at,
    )


def scan_images(
    images: list[ImageEntry],
    adapter: ScannerAdapter,
    store: ObjectStore,
    credentials: Credentials | None,
    options: ScanOptions,
    now: Callable[[], dt.datetime] = utcnow,
    sleep: Callable[[float], None] = time.sleep,
) -> RunIndex:
    started = now()
    adapter.prepare()
    scanner = adapter.metadata()
    policy = options.policy or Policy()
    by_digest: dict[str, list[ImageEntry]] = {}
    for img in images:
        by_digest.setdefault(img.digest, []).append(img)

    def work(digest: str) -> _Outcome:
        group = by_digest[digest]
        first = group[0]
        previous = _stored_report(store, digest)
        if previous is not None and not options.rescan and _current(previous, scanner):
            return _Outcome(previous, reused=True)
        tags = tuple(sorted({t for i in group for t in i.tags}))
        ref = ImageRef(
            options.registry_url, first.registry, first.repository, digest, tags, first.platform
        )
        for attempt in range(options.retries + 1):
            try:
                if options.rescan and previous is not None:
                    result = adapter.rescan_image(ref, credentials, previous)
                else:
                    result = adapter.scan_image(ref, credentials)
                store.put(report_key(digest), result.report.to_json())
                store.put(sarif_key(digest), json.dumps(to_sarif(result.report), indent=1).encode())
                return _Outcome(result.report, reused=False)
            except AdapterError as exc:
                log.warning("%s: %s [%s]", ref.reference, exc.message, exc.error_code)
                if not exc.can_retry or attempt == options.retries:
                    return _Outcome(None, reused=False, error=exc)
                sleep(options.retry_delay * (2**attempt))
        raise AssertionError("unreachable")

    with ThreadPoolExecutor(max_workers=max(1, options.parallel)) as pool:
        outcomes = dict(zip(by_digest, pool.map(work, list(by_digest)), strict=True))

    index = RunIndex(
        runId=options.run_id, registry=options.registry_url, startedAt=iso(started), scanner=scanner
    )
    for img in images:
        out = outcomes[img.digest]
        entry = RunImage.of(img, "ok", reused=out.reused)
        if out.report is None:
            err = out.error
            entry.status, entry.error = "failed", err.message if err else "unknown error"
            entry.error_code = err.error_code if err else None
        else:
            entry.summary, entry.severity = out.report.summary, out.report.severity
            entry.policy = (
                check(out.report, policy, now())
                if out.reused
                else (out.report.policy or CheckResult(passed=True))
            )
            entry.report = report_key(img.digest)
            entry.scanned_with = out.report.scanner
        index.images.append(entry)
    _totals(index, outcomes)
    index.completed_at = iso(now())
    return index


def _totals(index: RunIndex, outcomes: dict[str, _Outcome]) -> None:
    total = Summary()
    for out in outcomes.values():  # per unique digest: shared content is counted once
        if out.report is not None:
            total = total.add(out.report.summary)
    index.totals = total
    index.scanned = sum(1 for o in outcomes.values() if o.report is not None and not o.reused)
    index.reused = sum(1 for o in outcomes.values() if o.reused)
    index.failed = sum(1 for o in outcomes.values() if o.report is None)
    index.policy_failing = sum(
        1 for i in index.images if i.policy is not None and not i.policy.passed
    )
