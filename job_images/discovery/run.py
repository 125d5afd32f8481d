"""The discovery run: registry -> platform-specific images (I/O through RegistryClient).

Phases, each a bounded worker pool: list tags per repository; filter (CEL, maxTags);
HEAD every kept tag; GET only manifests whose digest is not already known (from
this run or the previous run's cache); GET the config only for single-arch images
of unknown platform. Per-tag failures are recorded and the run continues.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from job_images.discovery.client import RegistryClient
from job_images.discovery.manifests import (
    MalformedManifest,
    ManifestInfo,
    parse_config_platform,
    parse_manifest,
    valid_digest,
)
from job_images.discovery.names import is_glob, matches, valid_repository, valid_tag
from job_images.discovery.platforms import platform_allowed, split_platform
from job_images.discovery.spec import DiscoverySpec, RepositorySelector
from job_images.discovery.tags import select_recent
from regscan.common.discovery import (
    ChildEntry,
    DiscoveryError,
    DiscoveryResult,
    ImageEntry,
    ManifestEntry,
)
from regscan.common.errors import RegistryError

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class _TagRef:
    repository: str
    tag: str
    digest: str = ""


def _pmap(pool: ThreadPoolExecutor, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    return list(pool.map(fn, items))


def discover(
    spec: DiscoverySpec,
    previous: dict[str, ManifestEntry] | None = None,
    client: RegistryClient | None = None,
) -> DiscoveryResult:
    started = time.monotonic()
    own = client is None
    client = client or RegistryClient(spec.registry, spec.credentials, spec.options)
    try:
        return _Run(spec, client, dict(previous or {})).execute(started)
    finally:
        if own:
            client.close()


class _Run:
    def __init__(
        self, spec: DiscoverySpec, client: RegistryClient, cache: dict[str, ManifestEntry]
    ):
        self.spec = spec
        self.client = client
        self.cache = cache
        self.result = DiscoveryResult()
        self.errors = self.result.errors
        self.repo_failures: list[RegistryError] = []

    def execute(self, started: float) -> DiscoveryResult:
        self.client.ping()  # unreachable / wrong credentials fail the run here
        with ThreadPoolExecutor(max_workers=self.spec.options.concurrency) as pool:
            repos = self._repositories()
            listed = _pmap(pool, self._list_tags, repos)
            ok_repos = [r for r, tags in zip(repos, listed, strict=True) if tags is not None]
            if repos and not ok_repos:
                first = self.repo_failures[0]
                raise RegistryError(
                    self.client.host, f"no repository could be listed: {first.detail}", first.status
                ) from first
            refs = [ref for tags in listed if tags for ref in tags]
            heads = _pmap(pool, self._head, refs)
            refs = [r for r, ok in zip(refs, heads, strict=True) if ok]
            unknown: dict[str, str] = {}
            for ref in refs:
                if ref.digest not in self.cache:
                    unknown.setdefault(ref.digest, ref.repository)
            _pmap(pool, self._fetch_manifest, list(unknown.items()))
            self._assemble(refs)
        stats = self.result.stats
        stats.repositories = len(repos)
        stats.images = len(self.result.images)
        stats.requests = dict(sorted(self.client.counts.items()))
        stats.seconds = round(time.monotonic() - started, 3)
        return self.result

    def _repositories(self) -> list[tuple[str, RepositorySelector]]:
        selectors = self.spec.selectors or [RepositorySelector("**")]
        if all(not is_glob(s.pattern) for s in selectors):
            names = [s.pattern for s in selectors]
        else:
            names = self.client.catalog()
        out: list[tuple[str, RepositorySelector]] = []
        seen: set[str] = set()
        for name in names:
            if name in seen:
                continue
            seen.add(name)
            if not valid_repository(name):
                self.errors.append(
                    DiscoveryError(repository=name[:300], message="invalid repository name")
                )
                continue
            selector = next((s for s in selectors if matches(s.pattern, name)), None)
            if selector is not None:
                out.append((name, selector))
        return out

    def _list_tags(self, item: tuple[str, RepositorySelector]) -> list[_TagRef] | None:
        name, selector = item
        try:
            tags = self.client.tags(name)
        except RegistryError as exc:
            self.errors.append(DiscoveryError(repository=name, message=str(exc)))
            self.repo_failures.append(exc)
            return None
        self.result.stats.tags += len(tags)
        good = []
        for tag in tags:
            if valid_tag(tag):
                good.append(tag)
            else:
                self.errors.append(
                    DiscoveryError(repository=name, tag=tag[:200], message="invalid tag name")
                )
        if selector.tag_filter is not None:
            good = [t for t in good if selector.tag_filter.matches(name, t)]
        good = select_recent(good, selector.max_tags)
        self.result.stats.tags_matched += len(good)
        return [_TagRef(name, t) for t in good]

    def _head(self, ref: _TagRef) -> bool:
        try:
            digest, _ = self.client.head_manifest(ref.repository, ref.tag)
            if not valid_digest(digest):  # registry did not send it: GET by tag instead
                body, ctype = self.client.get_manifest(ref.repository, ref.tag)
                info = parse_manifest(body, ctype)
                digest = info.digest
                self._remember(ref.repository, info)
            ref.digest = digest
            return True
        except (RegistryError, MalformedManifest) as exc:
            self.errors.append(
                DiscoveryError(repository=ref.repository, tag=ref.tag, message=str(exc))
            )
            return False

    def _fetch_manifest(self, item: tuple[str, str]) -> None:
        digest, repository = item
        if digest in self.cache:
            return
        try:
            body, ctype = self.client.get_manifest(repository, digest)
            self._remember(repository, parse_manifest(body, ctype, expected_digest=digest))
        except (RegistryError, MalformedManifest) as exc:
            self.errors.append(
                DiscoveryError(repository=repository, tag=None, message=f"{digest}: {exc}")
            )

    def _remember(self, repository: str, info: ManifestInfo) -> None:
        if info.kind == "index":
            children = [
                ChildEntry(digest=c.digest, platform=str(c.platform)) for c in info.children
            ]
            self.cache[info.digest] = ManifestEntry(kind="index", children=children)
        elif info.kind == "image":
            blob = self.client.get_blob(repository, info.config_digest)
            platform = parse_config_platform(blob)
            if platform is None:
                raise MalformedManifest("image config has no os/architecture")
            self.cache[info.digest] = ManifestEntry(kind="image", platform=str(platform))
        else:
            self.cache[info.digest] = ManifestEntry(kind="artifact")

    def _assemble(self, refs: list[_TagRef]) -> None:
        wanted = self.spec.platforms
        images: dict[tuple[str, str], ImageEntry] = {}

        def add(ref: _TagRef, digest: str, platform: str, index: str | None) -> None:
            if not platform_allowed(split_platform(platform), wanted):
                return
            key = (ref.repository, digest)
            entry = images.get(key)
            if entry is None:
                entry = images[key] = ImageEntry(
                    registry=self.client.host,
                    repository=ref.repository,
                    tags=[],
                    digest=digest,
                    platform=platform,
                    indexDigest=index,
                )
            if ref.tag not in entry.tags:
                entry.tags.append(ref.tag)
            if entry.index_digest is None and index is not None:
                entry.index_digest = index

        for ref in refs:
            cached = self.cache.get(ref.digest)
            if cached is None:
                continue  # its manifest failed; already recorded
            self.result.manifests[ref.digest] = cached
            if cached.kind == "index":
                for child in cached.children:
                    add(ref, child.digest, child.platform, ref.digest)
            elif cached.kind == "image" and cached.platform:
                add(ref, ref.digest, cached.platform, None)
        for entry in images.values():
            entry.tags.sort()
        self.result.images = sorted(
            images.values(), key=lambda e: (e.repository, e.platform, e.digest)
        )
