"""Which digests a run must scan, and how they are cut into shards (pure)."""

from __future__ import annotations

from job_images.discovery.models import ImageEntry
from job_images.scanning.models import ScannerInfo


def fingerprint(info: ScannerInfo | None) -> tuple[str, str, str]:
    if info is None:
        return ("", "", "")
    return (info.name, info.version, info.db_updated_at or "")


def digests_to_scan(
    images: list[ImageEntry], known: dict[str, ScannerInfo], current: ScannerInfo | None
) -> list[ImageEntry]:
    """New digests; all digests when the scanner or DB changed; none already current.

    `known` maps digest -> the scanner that produced its stored report; `current` is the
    newest scanner seen (None: nothing scanned yet, so everything unknown is new).
    """
    want = fingerprint(current)
    return [
        i
        for i in images
        if i.digest not in known or (current is not None and fingerprint(known[i.digest]) != want)
    ]


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
