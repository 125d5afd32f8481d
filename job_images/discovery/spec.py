"""What a discovery run is asked to do: repositories, tag filters, platforms, client options
(pure values; built by `selection.py` from a Registry spec or by the `discover` command).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from job_images.credentials import Credentials
from job_images.discovery.celfilter import TagFilter
from job_images.discovery.platforms import Platform


@dataclass(frozen=True)
class ClientOptions:
    timeout: float = 30.0
    retries: int = 4  # extra attempts after the first
    backoff: float = 0.25
    max_backoff: float = 8.0
    max_retry_after: float = 60.0
    concurrency: int = 8
    ca_file: str | None = None
    insecure: bool = False
    page_size: int = 1000


@dataclass(frozen=True)
class RepositorySelector:
    """An exact repository name or a glob, with its own tag filter and maxTags."""

    pattern: str
    tag_filter: TagFilter | None = None
    max_tags: int | None = None


@dataclass
class DiscoverySpec:
    registry: str
    selectors: list[RepositorySelector] = field(default_factory=list)
    platforms: list[Platform] = field(default_factory=list)
    credentials: Credentials | None = None
    options: ClientOptions = field(default_factory=ClientOptions)
