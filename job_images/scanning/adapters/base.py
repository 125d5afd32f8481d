"""The scanner-adapter interface, after Harbor's pluggable-scanning proposal (pure).

One implementation (`adapters/harbor.py`) serves every scanner: it runs a `Scanner`
(scanning/scanner.py) and owns storage and policy. A second scanner (Grype, ...)
implements the `Scanner` seam and registers a name in `adapters/__init__.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from job_images.credentials import Credentials
from job_images.scanning.policy import Policy
from job_images.scanning.scanner import ImageRef
from job_images.store.protocol import ObjectStore
from regscan.common.errors import OperationalError
from regscan.common.reports import CheckResult, Report, ScannerInfo

__all__ = [
    "AdapterError",
    "AdapterSettings",
    "ImageRef",
    "ScanResult",
    "ScannerAdapter",
]


class AdapterError(OperationalError):
    """A normalized scanner error; callers retry only when `can_retry`."""

    def __init__(
        self,
        message: str,
        detail: str = "",
        error_code: str = "ScannerFailed",
        can_retry: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.error_code = error_code
        self.can_retry = can_retry


@dataclass
class ScanResult:
    report: Report  # stored (findings only)
    check: CheckResult  # the verdict under the adapter's policy, for the run index
    sbom_reused: bool = False


@dataclass(frozen=True)
class AdapterSettings:
    """What `configure` receives: where results live and the policy to judge them by."""

    store: ObjectStore  # SBOMs, reports and SARIF live there
    policy: Policy = field(default_factory=Policy)


class ScannerAdapter(Protocol):
    def configure(self, settings: AdapterSettings) -> None: ...

    def prepare(self) -> None:
        """Make the scanner ready once per run (e.g. fetch the vulnerability DB)."""
        ...

    def metadata(self) -> ScannerInfo: ...

    def scan_image(self, image: ImageRef, credentials: Credentials | None) -> ScanResult:
        """SBOM (the stored one if valid, else pulled), findings, verdict; all stored."""
        ...

    def rescan_image(
        self, image: ImageRef, credentials: Credentials | None, previous: Report | None
    ) -> ScanResult:
        """Scan the stored SBOM again without pulling; no stored SBOM: `scan_image`."""
        ...

    def revalidate(self, stored: Report) -> ScanResult | None:
        """`stored` re-stamped as verified against the current DB when the DB update since
        it was made cannot change its findings (stored); None when it must be re-scanned."""
        ...

    def notify_image_deleted(self, image: ImageRef) -> None:
        """Remove the digest's SBOM, report and SARIF."""
        ...

    def sbom_media_types(self) -> tuple[str, ...]:
        """The formats `stored_sbom` serves: SPDX JSON, and others the scanner renders."""
        ...

    def stored_sbom(self, digest: str, media_type: str) -> bytes | None:
        """The digest's stored SBOM in `media_type` (one of `sbom_media_types`; a rendering
        is made from the SPDX one once, then kept); None when no SBOM is stored."""
        ...

    def check_image(self, image: ImageRef) -> CheckResult:
        """The policy verdict of the stored report ("not scanned yet" fails)."""
        ...

    def evaluate(self, report: Report) -> CheckResult:
        """The policy verdict of a report: the one place the policy is applied."""
        ...

    @property
    def policy(self) -> Policy:
        """The policy `evaluate` applies (recorded in the run index)."""
        ...

    def handle_notification(self, payload: dict[str, Any]) -> list[str]:
        """{"type": "db-updated"[, "dbUpdatedAt": ...]}: the digests to re-scan, those
        whose findings the DB update can change (the others are re-stamped)."""
        ...
