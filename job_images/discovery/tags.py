"""Tag ordering and the `maxTags` cut (pure)."""

from __future__ import annotations

import semver

from regscan.common.errors import InvalidInput


def parse_semver(tag: str, normalize: bool = True) -> semver.Version | None:
    """Parse like Kubernetes' `semver(s, true)`: optional 'v', missing minor/patch allowed."""
    text = tag
    if normalize:
        if text[:1] in ("v", "V"):
            text = text[1:]
        core, sep, rest = text.partition("-")
        core, plus, build = core.partition("+")
        nums = core.split(".")
        if 1 <= len(nums) < 3 and all(n.isdigit() for n in nums):
            nums += ["0"] * (3 - len(nums))
            nums = [str(int(n)) for n in nums]
        text = ".".join(nums) + (plus + build) + (sep + rest)
    try:
        return semver.Version.parse(text)
    except ValueError:
        return None


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
