"""The discovery Job's work (does I/O): discover a Registry for one run and store the result.

Writes `runs/<run>/discovery.json` under the Registry's prefix, and the manifest cache of
its CronJob (`discovery-cache/<source>.json`) that spares the next run manifest GETs.
"""

from __future__ import annotations

import logging

from job_images.credentials import Credentials
from job_images.discovery import selection
from job_images.discovery.run import discover
from job_images.store.backends import ObjectStore
from regscan.common import layout
from regscan.common.discovery import DiscoveryResult, ManifestEntry
from regscan.common.jobs import CONTRACT_ENV, DiscoveryJob
from regscan.common.progress import Notify, no_progress

log = logging.getLogger("regscan.job.discover")


def cached_manifests(store: ObjectStore, source: str) -> dict[str, ManifestEntry]:
    data = store.get(layout.discovery_cache_key(source))
    if data is None:
        return {}
    try:
        return DiscoveryResult.model_validate_json(data).manifests
    except ValueError:
        log.warning("ignoring an unreadable discovery cache for %s", source)
        return {}


def run_discovery_job(
    job: DiscoveryJob,
    run: str,
    store: ObjectStore,
    credentials: Credentials | None,
    ca_file: str | None,
    progress: Notify = no_progress,
) -> DiscoveryResult:
    """Validate the contract's selection, discover, store; nothing is written on bad input."""
    layout.check_run_id(run)
    layout.check_run_id(job.source)
    spec = selection.discovery_spec(
        job.registry.url,
        job.registry.insecure,
        job.repositories,
        job.platforms,
        job.maxTags,
        credentials,
        ca_file,
        field=CONTRACT_ENV,
    )
    found = discover(spec, previous=cached_manifests(store, job.source), progress=progress)
    data = found.to_json().encode()
    store.put(layout.discovery_key(run), data)
    store.put(layout.discovery_cache_key(job.source), data)
    for err in found.errors:
        log.warning("%s%s: %s", err.repository, f":{err.tag}" if err.tag else "", err.message)
    return found
