"""Which digests a run must scan, and how they are cut into shards (pure)."""

from __future__ import annotations

from regscan.common.discovery import ImageEntry
from regscan.common.reports import ScannerInfo


def digests_to_scan(
    images: list[ImageEntry],
    known: dict[str, ScannerInfo],
    current: ScannerInfo | None,
    stale_before: str | None = None,
) -> list[ImageEntry]:
    """New digests; all digests when the scanner or DB changed; none already current.

    `known` maps digest -> the scanner that produced its stored report; `current` is the
    newest scanner seen (None: nothing scanned yet, so everything unknown is new).
    `stale_before` (ISO time): a report made with a DB updated before it is queued
    again, so a DB update is noticed even when no new digest shows it.
    """

    def needs(digest: str) -> bool:
        info = known.get(digest)
        if info is None:
            return True
        if current is not None and not info.same_as(current):
            return True
        return stale_before is not None and (info.db_updated_at or "") < stale_before

    return [i for i in images if needs(i.digest)]


def make_shards(images: list[ImageEntry], batch_size: int) -> list[list[ImageEntry]]:
    """`batch_size` unique digests per shard; every entry of a digest goes with it."""
    by_digest: dict[str, list[ImageEntry]] = {}
    for img in images:
        by_digest.setdefault(img.digest, []).append(img)
    digests = sorted(by_digest)
    size = max(1, batch_size)
    return [
        [e for d in digests[i : i + size] for e in sorted(by_digest[d], key=lambda x: x.repository)]
        for i in range(0, len(digests), size)
    ]
