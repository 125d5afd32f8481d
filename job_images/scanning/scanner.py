"""The scanner seam: what a vulnerability scanner must do, and nothing more (pure).

A `Scanner` makes an SPDX SBOM for an image and finds vulnerabilities in an SBOM.
It stores nothing, applies no policy and builds no report: that is the adapter's
job (`adapters/harbor.py`), the same for every scanner. Implementations raise
`AdapterError` (adapters/base.py) with `can_retry` set for transient failures.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from job_images.credentials import Credentials
from regscan.common.discovery import ImageEntry
from regscan.common.reports import Artifact, ScannerInfo, Vulnerability


@dataclass(frozen=True)
class ImageRef:
    """One image (digest) to scan, and where to pull it from."""

    registry_url: str  # scheme://host[:port]
    registry: str  # host[:port]
    repository: str
    digest: str
    tags: tuple[str, ...] = ()
    platform: str = ""

    @property
    def reference(self) -> str:
        return f"{self.registry}/{self.repository}@{self.digest}"

    @property
    def artifact(self) -> Artifact:
        """The report's record of this image (the one place an Artifact is built)."""
        return Artifact(
            registry=self.registry,
            repository=self.repository,
            tags=list(self.tags),
            digest=self.digest,
            platform=self.platform,
        )

    @classmethod
    def of_entries(cls, registry_url: str, entries: Sequence[ImageEntry]) -> ImageRef:
        """The discovered entries of one digest: pulled from the first, tags of all."""
        first = entries[0]
        tags = tuple(sorted({t for e in entries for t in e.tags}))
        return cls(
            registry_url, first.registry, first.repository, first.digest, tags, first.platform
        )


@dataclass(frozen=True)
class ScannerOptions:
    """How to run a scanner; built once from the command line or a Job's inputs."""

    name: str = "trivy"
    trivy: str | None = None  # the binary; default: on PATH or beside this Python
    cache_dir: str | None = None
    db_repository: str | None = None
    skip_db_update: bool = False
    parallel: int = 4
    timeout: float = 300.0
    ca_file: str | None = None
    insecure: bool = False
    server: bool = True  # Trivy: one `trivy server` per run (DB and layer cache shared)
    long_lived: bool = False  # `regscan serve`: caches that grow per image stay off the heap
    url: str | None = None  # the `harbor` adapter: a Harbor Scanner Adapter API server
    token_file: str | None = None  # the `harbor` adapter: its token, from a mounted Secret
    auth_scheme: str | None = None  # the `harbor` adapter: bearer, basic or apikey


class Scanner(Protocol):
    """A vulnerability scanner behind the seam (Trivy: adapters/trivy.py)."""

    def info(self) -> ScannerInfo:
        """Name, vendor, version and vulnerability-DB date (fixed once prepared)."""
        ...

    def prepare(self) -> None:
        """Make the DB ready, once per run, before parallel scans share it."""
        ...

    def make_sbom(self, image: ImageRef, credentials: Credentials | None) -> bytes:
        """An SPDX JSON SBOM of the image, pulled from its registry."""
        ...

    def find_vulnerabilities(self, sbom: bytes, image: ImageRef) -> list[Vulnerability]:
        """Normalized findings in an SBOM (`image` names it in errors; nothing is pulled)."""
        ...


@runtime_checkable
class MemoScanner(Protocol):
    """A scanner that can keep, per SBOM, a memo that makes its next scan of that SBOM cheap
    (Trivy: the SBOM as its server decoded it, and the scan request; adapters/trivy_twirp.py).
    The adapter stores the memo beside the SBOM; the scanner alone judges whether it fits."""

    def find_vulnerabilities_with(
        self, sbom: bytes, image: ImageRef, memo: bytes | None
    ) -> tuple[list[Vulnerability], bytes | None]:
        """`find_vulnerabilities`, and a new memo to store (None: keep the stored one)."""
        ...


@runtime_checkable
class SbomConverter(Protocol):
    """A scanner that can also render a stored SPDX SBOM in another format (Trivy can)."""

    def convert_sbom(self, sbom: bytes, media_type: str) -> bytes:
        """`sbom` (SPDX JSON) as `media_type` (application/vnd.cyclonedx+json); nothing
        is pulled or scanned."""
        ...


def valid_cyclonedx(data: bytes | None) -> bool:
    """A CycloneDX JSON document with a component list."""
    try:
        doc = json.loads(data or b"")
    except (ValueError, UnicodeDecodeError):
        return False
    return (
        isinstance(doc, dict)
        and doc.get("bomFormat") == "CycloneDX"
        and isinstance(doc.get("components", []), list)
    )


def valid_sbom(data: bytes | None) -> bool:
    """An SPDX JSON document with a package list (a truncated or foreign one is not)."""
    if not data:
        return False
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return False
    return (
        isinstance(doc, dict)
        and str(doc.get("spdxVersion", "")).startswith("SPDX-")
        and isinstance(doc.get("packages"), list)
    )
