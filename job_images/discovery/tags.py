"""Tag ordering and the `maxTags` cut (pure)."""

from __future__ import annotations

from job_images.discovery.semverk8s import Version, try_parse
from regscan.common.errors import InvalidInput


def parse_semver(tag: str, normalize: bool = True) -> Version | None:
    """The version as Kubernetes' `semver(tag, normalize)` reads it, or None."""
    return try_parse(tag, normalize)


def select_recent(tags: list[str], max_tags: int | None) -> list[str]:
    """Keep the `max_tags` highest semver tags; non-semver tags follow, by name."""
    if max_tags is None:
        return list(tags)
    if max_tags < 0:
        raise InvalidInput("maxTags", f"must be >= 0, got {max_tags}")
    versions = [(t, parse_semver(t)) for t in tags]
    semvers = sorted(
        ((t, v) for t, v in versions if v is not None), key=lambda tv: (tv[1], tv[0]), reverse=True
    )
    others = sorted(t for t, v in versions if v is None)
    ordered = [t for t, _ in semvers] + others
    return ordered[:max_tags]
