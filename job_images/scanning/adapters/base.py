"""The scanner-adapter interface, after Harbor's pluggable-scanning proposal (pure).

A second adapter (Grype, Harbor's scanner HTTP API, ...) implements this
Protocol in its own module and registers a name in `adapters/__init__.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from job_images.credentials import Credentials
from job_images.scanning.policy import Policy
from regscan.common.errors import OperationalError
from regscan.common.reports import CheckResult, Report, ScannerInfo


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


@dataclass(frozen=True)
class ImageRef:
    registry_url: str  # scheme://host[:port]
    registry: str  # host[:port]
    repository: str
    digest: str
    tags: tuple[str, ...] = ()
    platform: str = ""

    @property
    def reference(self) -> str:
        return f"{self.registry}/{self.repository}@{self.digest}"


@dataclass
class ScanResult:
    report: Report
    check: CheckResult
    sbom_reused: bool = False


@dataclass
class AdapterSettings:
    """What `configure` receives; adapter-specific options go in `options`."""

    store: Any  # ObjectStore: SBOMs live there, shared with the reports
    policy: Policy = field(default_factory=Policy)
    timeout: float = 300.0
    ca_file: str | None = None
    insecure: bool = False
    options: dict[str, Any] = field(default_factory=dict)


class ScannerAdapter(Protocol):
    def configure(self, settings: AdapterSettings) -> None: ...

    def prepare(self) -> None:
        """Make the scanner ready once per run (e.g. fetch the vulnerability DB)."""
        ...

    def metadata(self) -> ScannerInfo: ...

    def scan_image(self, image: ImageRef, credentials: Credentials | None) -> ScanResult: ...

    def rescan_image(
        self, image: ImageRef, credentials: Credentials | None, previous: Report | None
    ) -> ScanResult: ...

    def notify_image_deleted(self, image: ImageRef) -> None: ...

    def check_image(self, image: ImageRef) -> CheckResult: ...

    def handle_notification(self, payload: dict[str, Any]) -> list[str]: ...
