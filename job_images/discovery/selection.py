"""A Registry's selection (URL, repositories with their CEL conditions, platforms, maxTags)
in the discovery code's terms, validated (pure).

The one place a Registry spec (or the discovery Job's contract, which carries the same
parts) becomes a `DiscoverySpec`: the controller validates with these functions, the
discovery Job builds its run with them. Every problem is an InvalidInput naming the field.
"""

from __future__ import annotations

from collections.abc import Sequence

from job_images.credentials import Credentials
from job_images.discovery.celfilter import MatchCondition, TagFilter
from job_images.discovery.names import validate_pattern
from job_images.discovery.options import ClientOptions
from job_images.discovery.platforms import Platform, validate_platform
from job_images.discovery.spec import DiscoverySpec, RepositorySelector
from job_images.discovery.urls import normalize_registry_url
from regscan.common.errors import InvalidInput
from regscan.common.registry import PlatformSpec, RepositorySpec


def registry_url(url: str, insecure: bool, field: str = "spec.url") -> tuple[str, str]:
    """(base URL, host:port), or InvalidInput naming `field`."""
    try:
        return normalize_registry_url(url, insecure)
    except InvalidInput as exc:
        raise InvalidInput(field, exc.reason) from exc


def selectors(
    repositories: Sequence[RepositorySpec],
    max_tags: int | None,
    field: str = "spec.repositories",
) -> list[RepositorySelector]:
    """One selector per repository entry, CEL compiled; none given + maxTags = all."""
    out = []
    for i, repo in enumerate(repositories):
        where = f"{field}[{i}]"
        try:
            pattern = validate_pattern(repo.name)
        except InvalidInput as exc:
            raise InvalidInput(f"{where}.name", exc.reason) from exc
        names = [c.name for c in repo.matchConditions]
        if len(set(names)) != len(names):
            raise InvalidInput(f"{where}.matchConditions", "condition names must be unique")
        tag_filter = None
        if repo.matchConditions:
            tag_filter = TagFilter(
                [MatchCondition(c.name, c.expression) for c in repo.matchConditions],
                repo.matchOperator,
                field=f"{where}.matchConditions",
            )
        out.append(RepositorySelector(pattern, tag_filter, max_tags, repo.strict))
    if not out and max_tags is not None:
        out = [RepositorySelector("**", None, max_tags)]
    return out


def platforms(specs: Sequence[PlatformSpec], field: str = "spec.platforms") -> list[Platform]:
    return [
        validate_platform(p.os, p.arch, p.variant or "", p.osVersion or "", field=f"{field}[{i}]")
        for i, p in enumerate(specs)
    ]


def discovery_spec(
    url: str,
    insecure: bool,
    repositories: Sequence[RepositorySpec],
    platform_specs: Sequence[PlatformSpec],
    max_tags: int | None,
    credentials: Credentials | None = None,
    ca_file: str | None = None,
    field: str = "spec",
) -> DiscoverySpec:
    registry_url(url, insecure, f"{field}.url")
    return DiscoverySpec(
        url,
        selectors(repositories, max_tags, f"{field}.repositories"),
        platforms(platform_specs, f"{field}.platforms"),
        credentials,
        ClientOptions(ca_file=ca_file, insecure=insecure),
    )
