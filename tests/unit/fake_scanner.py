"""A `Scanner` stand-in for the fast tests: canned findings, recorded calls, queued failures
(pure, in memory). Everything above the seam (adapter, store, policy, pipeline) is real.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from job_images.credentials import Credentials
from job_images.scanning.adapters.base import AdapterError, AdapterSettings
from job_images.scanning.adapters.harbor import ScanAdapter
from job_images.scanning.policy import Policy
from job_images.scanning.scanner import ImageRef
from job_images.store.backends import FilesystemStore
from regscan.common.discovery import ImageEntry
from regscan.common.reports import CheckResult, Report, ScannerInfo, Vulnerability

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
DB1 = "2026-11-01T00:00:00Z"
DB2 = "2026-11-20T00:00:00Z"
D = ["sha256:" + c * 64 for c in "abcd"]


def vuln(vid: str, severity: str, fixed: str = "") -> Vulnerability:
    return Vulnerability(
        id=vid, package="pkg", installedVersion="1.0", fixedVersion=fixed, severity=severity
    )


def entry(digest: str, repo: str = "app", *tags: str) -> ImageEntry:
    return ImageEntry(
        registry="reg:5000",
        repository=repo,
        tags=list(tags or ["v1"]),
        digest=digest,
        platform="linux/amd64",
    )


def ref(digest: str) -> ImageRef:
    return ImageRef("http://reg:5000", "reg:5000", "app", digest)


class FakeScanner:
    def __init__(self, findings: dict[str, list[Vulnerability]] | None = None) -> None:
        self.findings = findings or {}
        self.db = DB1
        self.calls: list[tuple[str, str]] = []  # (step, digest)
        self.failures: dict[str, list[AdapterError]] = {}  # raised by make_sbom, in order
        self.prepared = 0

    def info(self) -> ScannerInfo:
        return ScannerInfo(name="fake", vendor="test", version="1.0", dbUpdatedAt=self.db)

    def prepare(self) -> None:
        self.prepared += 1

    def make_sbom(self, image: ImageRef, credentials: Credentials | None) -> bytes:
        self.calls.append(("sbom", image.digest))
        queued = self.failures.get(image.digest)
        if queued:
            raise queued.pop(0)
        doc = {"spdxVersion": "SPDX-2.3", "packages": [{"name": image.repository}]}
        return json.dumps(doc).encode()

    def find_vulnerabilities(self, sbom: bytes, image: ImageRef) -> list[Vulnerability]:
        self.calls.append(("vulns", image.digest))
        return list(self.findings.get(image.digest, []))

    def steps(self, step: str) -> list[str]:
        return [d for s, d in self.calls if s == step]


class CountingAdapter(ScanAdapter):
    """The real adapter, counting how often the policy is applied."""

    evaluations = 0

    def evaluate(self, report: Report) -> CheckResult:
        self.evaluations += 1
        return super().evaluate(report)


def make_adapter(
    tmp_path: Path, scanner: FakeScanner, policy: Policy | None = None
) -> tuple[CountingAdapter, FilesystemStore]:
    store = FilesystemStore(tmp_path / "store")
    settings = AdapterSettings(store=store, policy=policy or Policy())
    return CountingAdapter(scanner, settings, clock=lambda: NOW), store
