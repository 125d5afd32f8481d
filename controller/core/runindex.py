"""A run's merged index: shard results plus what the previous run already knew (pure).

The controller shards only the digests that need work, so a run's own shard results
cover part of the registry. The merged index covers every image the discovery found:
fresh results first, then the previous run's entry for the same digest (carried over,
counted as reused), else a failed entry saying no shard reported it.
"""

from __future__ import annotations

from collections.abc import Sequence

from regscan.common.discovery import FilterErrors, ImageEntry
from regscan.common.policy import PolicySpec
from regscan.common.reports import RunImage, RunIndex, ScannerInfo, mark_partial

NO_RESULT = "no scan result: the shard of this digest did not report"


def known_scanners(previous: RunIndex | None) -> dict[str, ScannerInfo]:
    """digest -> the scanner that produced its current report, from the previous run."""
    if previous is None:
        return {}
    return {
        i.digest: i.scanned_with
        for i in previous.images
        if i.status == "ok" and i.scanned_with is not None
    }


def newest_scanner(infos: list[ScannerInfo]) -> ScannerInfo | None:
    """The newest scanner seen: by DB update time, then version."""
    return max(infos, key=lambda s: (s.db_updated_at or "", s.version), default=None)


def merge_run(
    run: str,
    registry_url: str,
    images: list[ImageEntry],
    shards: list[RunIndex],
    previous: RunIndex | None,
    started: str,
    completed: str,
    policy_hash: str | None = None,
    policy: PolicySpec | None = None,
    discovery_errors: int = 0,
    filter_errors: Sequence[FilterErrors] = (),
) -> RunIndex:
    fresh: dict[str, RunImage] = {}
    for shard in shards:
        for img in shard.images:  # an ok result wins over a failed one of the same digest
            if img.digest not in fresh or fresh[img.digest].status != "ok":
                fresh[img.digest] = img
    carried: dict[str, RunImage] = {}
    if previous is not None:
        for img in previous.images:
            if img.status == "ok":
                carried.setdefault(img.digest, img)
    merged = RunIndex(runId=run, registry=registry_url, startedAt=started, completedAt=completed)
    merged.policy_hash = policy_hash
    merged.policy = policy  # carried verdicts are current: a policy change rescans all
    outcome: dict[str, RunImage] = {}
    for entry in images:
        where: dict[str, object] = {
            "registry": entry.registry,
            "repository": entry.repository,
            "tags": entry.tags,
            "platform": entry.platform,
            "index_digest": entry.index_digest,
            "os_version": entry.os_version,
            "os_features": entry.os_features,
        }
        new = fresh.get(entry.digest)
        if new is not None and (new.status == "ok" or entry.digest not in carried):
            img = new.model_copy(update=where)
        elif entry.digest in carried:  # a failed re-scan keeps the stored report
            img = carried[entry.digest].model_copy(update={**where, "reused": True})
        else:
            img = RunImage.of(entry, "failed", error=NO_RESULT)
        merged.images.append(img)
        outcome.setdefault(entry.digest, img)
    # per unique digest: shared content counted once (keeps policy); partial when an
    # image failed or discovery had errors
    merged = mark_partial(merged.counted(), discovery_errors)
    merged.filter_errors = list(filter_errors)
    merged.scanner = newest_scanner(
        [i.scanned_with for i in outcome.values() if i.scanned_with is not None]
    )
    return merged
