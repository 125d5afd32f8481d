"""Helpers shared by the integration tests: run discovery, run the CLI, build an adapter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from job_images.discovery.options import ClientOptions
from job_images.discovery.run import DiscoverySpec, RepositorySelector, discover
from job_images.scanning.adapters import open_adapter
from job_images.scanning.adapters.base import ScannerAdapter
from job_images.scanning.policy import Policy
from job_images.scanning.scanner import ScannerOptions
from job_images.store.backends import FilesystemStore
from regscan.common.discovery import DiscoveryResult, ImageEntry
from tests.bench import servers
from tests.bench.demo import scan_args
from tests.bench.images import Content, Package

__all__ = ["FAST", "TINY", "adapter", "images_of", "regscan", "run", "scan_args"]

TINY = Content("alpine", "3.18.4", [Package("busybox", "1.36.1-r0")])


FAST = ClientOptions(retries=3, backoff=0.01, max_backoff=0.05, timeout=5)


def run(url: str, *patterns: str, **kw: object) -> DiscoveryResult:
    options = kw.pop("options", FAST)
    selectors = [RepositorySelector(p, kw.get("tag_filter"), kw.get("max_tags")) for p in patterns]  # type: ignore[arg-type]
    spec = DiscoverySpec(url, selectors, kw.get("platforms", []), kw.get("credentials"), options)  # type: ignore[arg-type]
    return discover(spec, previous=kw.get("previous"))  # type: ignore[arg-type]


def regscan(
    *args: str, stdin: str = "", env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run the `regscan` CLI in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "regscan", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def adapter(
    store: FilesystemStore, cache: Path, trivy: str | None = None, timeout: float = 120
) -> ScannerAdapter:
    options = ScannerOptions(
        trivy=trivy, cache_dir=str(cache), skip_db_update=True, timeout=timeout
    )
    return open_adapter(options, store, Policy())


def images_of(registry: servers.Registry, *patterns: str) -> list[ImageEntry]:
    spec = DiscoverySpec(registry.url, [RepositorySelector(p) for p in patterns])
    return discover(spec).images
