"""The scan Job's work (does I/O): scan one shard of a run and store its result.

The policy is the adapter's (built with `policy.policy_from_spec` from the contract).

Reads `runs/<run>/shards/<shard>.json`, scans those images with the pipeline (reports
reused when current), writes `runs/<run>/results/<shard>.json`.
"""

from __future__ import annotations

from job_images.credentials import Credentials
from job_images.scanning.adapters.base import ScannerAdapter
from job_images.scanning.pipeline import ScanOptions, scan_images
from job_images.store.backends import ObjectStore
from regscan.common import layout
from regscan.common.discovery import ImageEntry
from regscan.common.errors import InvalidInput
from regscan.common.jobs import SHARD_ENV, ScanJob
from regscan.common.progress import Notify, no_progress
from regscan.common.reports import RunIndex, ShardSpec


def shard_images(store: ObjectStore, run: str, shard: int) -> list[ImageEntry]:
    key = layout.shard_key(layout.check_run_id(run), shard)
    data = store.get(key)
    if data is None:
        raise InvalidInput(SHARD_ENV, f"shard {shard}: no shard list at {store.url(key)}")
    spec = ShardSpec.model_validate_json(data)
    return [ImageEntry.model_validate(i) for i in spec.images]


def run_scan_job(
    job: ScanJob,
    shard: int,
    images: list[ImageEntry],
    adapter: ScannerAdapter,
    store: ObjectStore,
    credentials: Credentials | None,
    progress: Notify = no_progress,
) -> RunIndex:
    options = ScanOptions(job.run, job.registry.url, job.parallel)
    index = scan_images(images, adapter, store, credentials, options, progress=progress)
    store.put(layout.shard_result_key(job.run, shard), index.to_json())
    return index


def all_failed(index: RunIndex, images: list[ImageEntry]) -> bool:
    """The pod fails (and the index is retried) only when no digest could be scanned."""
    return bool(index.failed) and index.failed == len({i.digest for i in images})
