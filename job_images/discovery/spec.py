"""What one discovery run looks for: registry, repository selectors, platforms (pure data)."""

from __future__ import annotations

from dataclasses import dataclass, field

from job_images.credentials import Credentials
from job_images.discovery.celfilter import TagFilter
from job_images.discovery.options import ClientOptions
from job_images.discovery.platforms import Platform


@dataclass(frozen=True)
class RepositorySelector:
    """An exact repository name or a glob, with its own tag filter and maxTags."""

    pattern: str
    tag_filter: TagFilter | None = None
    max_tags: int | None = None
    strict: bool = False  # a condition that fails to evaluate fails the run


@dataclass
class DiscoverySpec:
    registry: str
    selectors: list[RepositorySelector] = field(default_factory=list)
    platforms: list[Platform] = field(default_factory=list)
    credentials: Credentials | None = None
    options: ClientOptions = field(default_factory=ClientOptions)
