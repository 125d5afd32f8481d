"""The Harbor-style adapter API, implemented once on top of the scanner seam (I/O through
the injected Scanner and ObjectStore; imports no client library).

The scanner makes SBOMs and finds vulnerabilities; this class keeps SBOMs, reports and
SARIF in the store (scanning/artifacts.py), builds the normalized report and applies the
policy (`evaluate`, the one place).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from job_images.credentials import Credentials
from job_images.scanning import artifacts
from job_images.scanning.adapters.base import AdapterError, AdapterSettings, ScanResult
from job_images.scanning.dbchange import affected
from job_images.scanning.dbupdates import DBUpdates
from job_images.scanning.plan import split_stale, stale_digests
from job_images.scanning.policy import Policy, check
from job_images.scanning.report import report_from_findings
from job_images.scanning.scanner import (
    ImageRef,
    MemoScanner,
    SbomConverter,
    Scanner,
    valid_sbom,
)
from job_images.store.protocol import ObjectStore
from regscan.common.harbor_api import CYCLONEDX, SPDX
from regscan.common.reports import CheckResult, Report, ScannerInfo, Vulnerability
from regscan.common.timeutil import iso, utcnow

NOT_SCANNED = "not scanned yet"


class ScanAdapter:
    """A `ScannerAdapter` over any `Scanner`; `configure` (or `settings`) gives store and policy."""

    def __init__(
        self,
        scanner: Scanner,
        settings: AdapterSettings | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.scanner = scanner
        self.settings = settings
        self.clock = clock
        self._db_updates: DBUpdates | None = None

    # ---- configuration and metadata ---------------------------------------
    def configure(self, settings: AdapterSettings) -> None:
        self.settings = settings
        self._db_updates = None

    def _configured(self) -> AdapterSettings:
        if self.settings is None:
            raise AdapterError("adapter not configured", error_code="NotConfigured")
        return self.settings

    @property
    def store(self) -> ObjectStore:
        return self._configured().store

    @property
    def db_updates(self) -> DBUpdates:
        if self._db_updates is None or self._db_updates.store is not self.store:
            self._db_updates = DBUpdates(self.store)
        return self._db_updates

    def prepare(self) -> None:
        self.scanner.prepare()
        self.db_updates.record_current(self.scanner, self.metadata())

    def metadata(self) -> ScannerInfo:
        return self.scanner.info()

    # ---- scanning -----------------------------------------------------------
    def scan_image(self, image: ImageRef, credentials: Credentials | None) -> ScanResult:
        store = self.store
        self.scanner.prepare()
        sbom = artifacts.load_sbom(store, image.digest)  # content-addressed: reuse if valid
        if sbom is not None:
            return self._scan_sbom(image, sbom, sbom_reused=True)
        sbom = self.scanner.make_sbom(image, credentials)
        if not valid_sbom(sbom):
            raise AdapterError(
                f"SBOM of {image.reference}: {self.metadata().name} wrote no valid SPDX document",
                error_code="ScannerFailed",
                can_retry=True,
            )
        artifacts.save_sbom(store, image.digest, sbom)
        self.db_updates.save_index(image.digest, sbom)
        return self._scan_sbom(image, sbom, sbom_reused=False)

    def rescan_image(
        self, image: ImageRef, credentials: Credentials | None, previous: Report | None
    ) -> ScanResult:
        sbom = artifacts.load_sbom(self.store, image.digest)
        if sbom is None:
            return self.scan_image(image, credentials)
        self.scanner.prepare()
        return self._scan_sbom(image, sbom, sbom_reused=True)

    def revalidate(self, stored: Report) -> ScanResult | None:
        """The stored report re-stamped as verified against the current DB when the DB
        update since it was made cannot change its findings; None: scan it again."""
        current = self.metadata()
        made = stored.scanner
        if made.same_as(current):
            return None
        if (made.name, made.version) != (current.name, current.version):
            return None  # another scanner version may match differently
        change = self.db_updates.change(made, current)
        index = self.db_updates.index(stored.artifact.digest) if change is not None else None
        if change is None or index is None:
            return None
        if affected(change, index, (v.id for v in stored.vulnerabilities)):
            return None
        report = stored.model_copy(
            update={
                "scanner": current,
                "scanned_with": stored.scanned_with or made,
                "verified_at": iso(self.clock()),
            }
        )
        artifacts.save_restamped_report(self.store, report)  # findings only, no verdict
        return ScanResult(report=report, check=self.evaluate(report), sbom_reused=True)

    def _scan_sbom(self, image: ImageRef, sbom: bytes, sbom_reused: bool) -> ScanResult:
        findings: list[Vulnerability]
        if isinstance(self.scanner, MemoScanner):  # a memo exists only for a stored SBOM
            memo = artifacts.load_scan_memo(self.store, image.digest) if sbom_reused else None
            findings, made = self.scanner.find_vulnerabilities_with(sbom, image, memo)
            if made is not None:
                artifacts.save_scan_memo(self.store, image.digest, made)
        else:
            findings = self.scanner.find_vulnerabilities(sbom, image)
        report = report_from_findings(image.artifact, self.metadata(), findings, iso(self.clock()))
        artifacts.save_report(self.store, report)  # findings only: verdicts live with the run
        return ScanResult(report=report, check=self.evaluate(report), sbom_reused=sbom_reused)

    # ---- stored results -----------------------------------------------------
    def notify_image_deleted(self, image: ImageRef) -> None:
        artifacts.delete_artifacts(self.store, image.digest)

    def sbom_media_types(self) -> tuple[str, ...]:
        if isinstance(self.scanner, SbomConverter):
            return (SPDX, CYCLONEDX)
        return (SPDX,)

    def stored_sbom(self, digest: str, media_type: str) -> bytes | None:
        if media_type == SPDX:
            return artifacts.load_sbom(self.store, digest)
        scanner = self.scanner
        if media_type != CYCLONEDX or not isinstance(scanner, SbomConverter):
            raise AdapterError(f"no SBOM rendering as {media_type!r}", error_code="Unsupported")
        return artifacts.load_cyclonedx(
            self.store, digest, lambda spdx: scanner.convert_sbom(spdx, media_type)
        )

    @property
    def policy(self) -> Policy:
        return self._configured().policy

    def evaluate(self, report: Report) -> CheckResult:
        return check(report, self._configured().policy, self.clock())

    def check_image(self, image: ImageRef) -> CheckResult:
        report = artifacts.load_report(self.store, image.digest)
        if report is None:
            return CheckResult(passed=False, reasons=[NOT_SCANNED])
        return self.evaluate(report)

    def handle_notification(self, payload: dict[str, Any]) -> list[str]:
        """After a DB update ({"type": "db-updated"}): the digests to re-scan, those whose
        findings the update can change (Harbor's HandleScannerNotification). The other
        reports made with another DB are re-stamped as verified against the current one.
        With "dbUpdatedAt" naming another DB than the prepared one, every stale digest."""
        if payload.get("type") != "db-updated":
            return []
        current = self.metadata()
        if payload.get("dbUpdatedAt") and payload["dbUpdatedAt"] != current.db_updated_at:
            current = current.model_copy(update={"db_updated_at": str(payload["dbUpdatedAt"])})
            return stale_digests(artifacts.stored_reports(self.store), current)
        self.db_updates.record_current(self.scanner, current)
        return split_stale(artifacts.stored_reports(self.store), current, self.revalidate)[0]


class StoredResultsOnly:
    """A `Scanner` that scans nothing: for adapters that only read stored results
    (`regscan check`), so no scanner needs to be installed there."""

    name = "none"

    def _refuse(self) -> AdapterError:
        return AdapterError(
            "no scanner here: this adapter reads stored results only", error_code="NotConfigured"
        )

    def info(self) -> ScannerInfo:
        raise self._refuse()

    def prepare(self) -> None:
        raise self._refuse()

    def make_sbom(self, image: ImageRef, credentials: Credentials | None) -> bytes:
        raise self._refuse()

    def find_vulnerabilities(self, sbom: bytes, image: ImageRef) -> list[Vulnerability]:
        raise self._refuse()
