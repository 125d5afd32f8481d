"""Where a digest's SBOM, report and SARIF are kept: the one place that reads, writes and
removes them (I/O through the injected ObjectStore; imports no client library).

Keys come from `regscan.common.layout`. A corrupt stored report reads as absent (it is
scanned again); an SBOM that is not valid SPDX reads as absent (it is made again).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

from job_images.scanning.sarif import to_sarif
from job_images.scanning.scanner import valid_cyclonedx, valid_sbom
from job_images.store.protocol import ObjectStore
from regscan.common.layout import (
    REPORTS_PREFIX,
    cyclonedx_key,
    digest_from_report_key,
    package_index_key,
    report_key,
    sarif_key,
    sbom_key,
    scan_memo_key,
)
from regscan.common.reports import Report


def load_sbom(store: ObjectStore, digest: str) -> bytes | None:
    data = store.get(sbom_key(digest))
    return data if data is not None and valid_sbom(data) else None


def save_sbom(store: ObjectStore, digest: str, data: bytes) -> None:
    store.put(sbom_key(digest), data)


def load_scan_memo(store: ObjectStore, digest: str) -> bytes | None:
    """The scanner's memo for the digest's SBOM (the scanner judges whether it still fits)."""
    return store.get(scan_memo_key(digest))


def save_scan_memo(store: ObjectStore, digest: str, data: bytes) -> None:
    store.put(scan_memo_key(digest), data)


def load_cyclonedx(
    store: ObjectStore, digest: str, convert: Callable[[bytes], bytes]
) -> bytes | None:
    """The SBOM as CycloneDX: the cached rendering, else `convert` of the stored SPDX one
    (then cached beside it). None when no SPDX SBOM is stored."""
    cached = store.get(cyclonedx_key(digest))
    if cached is not None and valid_cyclonedx(cached):
        return cached
    spdx = load_sbom(store, digest)
    if spdx is None:
        return None
    data = convert(spdx)
    store.put(cyclonedx_key(digest), data)
    return data


def load_report(store: ObjectStore, digest: str) -> Report | None:
    return _parse(store.get(report_key(digest)))[0]


def load_report_for_run(store: ObjectStore, digest: str) -> Report | None:
    """`load_report` for a scan run (which may write): a report stored before verdicts moved
    to the run index loses its stale `policy` here, rewritten once with its SARIF."""
    report, legacy = _parse(store.get(report_key(digest)))
    if report is not None and legacy:
        save_report(store, report)
    return report


def save_report(store: ObjectStore, report: Report) -> None:
    """The report and its SARIF rendering, under the report's digest."""
    digest = report.artifact.digest
    store.put(report_key(digest), report.to_json())
    # compact: the C encoder (indent would use the pure-Python one, ~10x slower per report)
    store.put(sarif_key(digest), json.dumps(to_sarif(report)).encode())


def save_restamped_report(store: ObjectStore, report: Report) -> None:
    """A report re-stamped against a new DB (same findings, same scanner version): its SARIF
    names no DB, so it stays as it is (written only if missing)."""
    store.put(report_key(report.artifact.digest), report.to_json())
    if not store.exists(sarif_key(report.artifact.digest)):
        save_report(store, report)


def delete_artifacts(store: ObjectStore, digest: str) -> None:
    for key in (
        report_key(digest),
        sarif_key(digest),
        sbom_key(digest),
        cyclonedx_key(digest),
        package_index_key(digest),
        scan_memo_key(digest),
    ):
        store.delete(key)


def stored_reports(store: ObjectStore) -> Iterator[tuple[str, Report]]:
    """(digest, report) for every readable report in the store."""
    for key in store.list(REPORTS_PREFIX):
        digest = digest_from_report_key(key)
        report = _parse(store.get(key))[0] if digest else None
        if digest and report is not None:
            yield digest, report


def _parse(data: bytes | None) -> tuple[Report | None, bool]:
    """The report, and whether it still carries a verdict (`policy`: written by older versions)."""
    if data is None:
        return None, False
    try:
        doc = json.loads(data)
        return Report.model_validate(doc), isinstance(doc, dict) and "policy" in doc
    except ValueError:
        return None, False  # corrupt: treated as not scanned
