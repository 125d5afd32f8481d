"""The discovery run: registry -> platform-specific images (I/O through a `RegistryApi`).

Orchestration only; every decision is a pure function in `phases`. Each phase is a
bounded worker pool whose workers return values (no shared state is mutated from a
worker): list tags per repository, then filter (CEL, maxTags); HEAD every kept tag;
GET only manifests whose digest is not already known (from this run or the previous
run's cache); GET the config only for single-arch images of unknown platform.
Per-tag and per-repository failures are recorded in input order and the run
continues; it fails only when the registry is unreachable or no repository lists.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TypeVar

from job_images.discovery.api import RegistryApi
from job_images.discovery.client import RegistryClient
from job_images.discovery.manifests import (
    MalformedManifest,
    ManifestInfo,
    parse_config_platform,
    parse_manifest,
    valid_digest,
)
from job_images.discovery.phases import (
    TagListing,
    TagRef,
    assemble,
    effective_selectors,
    filter_error_summary,
    filter_tags,
    manifest_entry,
    merge_filter_errors,
    needs_catalog,
    select_repositories,
    unknown_digests,
)
from job_images.discovery.spec import DiscoverySpec, RepositorySelector
from regscan.common.discovery import DiscoveryError, DiscoveryResult, ManifestEntry
from regscan.common.errors import RegistryError
from regscan.common.progress import IMAGES, REPOSITORIES, RESOLVED, TAGS, Notify, no_progress

__all__ = ["DiscoverySpec", "RepositorySelector", "discover"]

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class _Resolved:
    """A HEAD's outcome: the tag with its digest, or an error; maybe a manifest learned."""

    ref: TagRef | None
    learned: tuple[str, ManifestEntry] | None = None
    error: DiscoveryError | None = None


def discover(
    spec: DiscoverySpec,
    previous: dict[str, ManifestEntry] | None = None,
    client: RegistryApi | None = None,
    progress: Notify = no_progress,
) -> DiscoveryResult:
    """Discover `spec` through `client` (an HTTP `RegistryClient` when none is given),
    reporting repositories listed, tags to resolve, tags resolved and images found."""
    started = time.monotonic()
    api: RegistryApi = client or RegistryClient(spec.registry, spec.credentials, spec.options)
    try:
        return _Run(spec, api, dict(previous or {}), progress).execute(started)
    finally:
        if client is None:
            api.close()


def _pmap(pool: ThreadPoolExecutor, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    return list(pool.map(fn, items))


class _Run:
    def __init__(
        self,
        spec: DiscoverySpec,
        api: RegistryApi,
        cache: dict[str, ManifestEntry],
        progress: Notify,
    ):
        self.spec = spec
        self.progress = progress
        self.api = api
        self.cache = cache  # digest -> entry: the previous run's, then this run's

    def execute(self, started: float) -> DiscoveryResult:
        self.api.ping()  # unreachable / wrong credentials fail the run here
        result = DiscoveryResult()
        with ThreadPoolExecutor(max_workers=self.spec.options.concurrency) as pool:
            selectors = effective_selectors(self.spec.selectors, self.api.host)
            explicit = not needs_catalog(selectors)
            names = [s.pattern for s in selectors] if explicit else self.api.catalog()
            selection = select_repositories(names, selectors)
            result.errors.extend(selection.errors)
            repos = selection.repositories
            refs = self._list_all(pool, repos, result)
            resolved = self._resolve_all(pool, refs, result)
            self._fetch_unknown(pool, resolved, result)
        assembly = assemble(self.api.host, resolved, self.cache, self.spec.platforms)
        result.images = assembly.images
        result.manifests = assembly.manifests
        stats = result.stats
        stats.repositories = len(repos)
        stats.images = len(result.images)
        self.progress(IMAGES, len(result.images))
        stats.requests = dict(sorted(self.api.request_counts().items()))
        stats.seconds = round(time.monotonic() - started, 3)
        return result

    def _list_all(
        self,
        pool: ThreadPoolExecutor,
        repos: list[tuple[str, RepositorySelector]],
        result: DiscoveryResult,
    ) -> list[TagRef]:
        """Tags of every repository, kept ones as refs; raise if no repository listed."""
        failures: list[RegistryError] = []
        refs: list[TagRef] = []
        stats = result.stats
        condition_errors: dict[tuple[str, str], tuple[int, str]] = {}
        for (name, selector), outcome in zip(
            repos, _pmap(pool, self._list_tags, repos), strict=True
        ):
            if isinstance(outcome, RegistryError):
                result.errors.append(DiscoveryError(repository=name, message=str(outcome)))
                failures.append(outcome)
                continue
            result.errors.extend(outcome.errors)
            stats.tags += outcome.listed
            stats.tags_matched += len(outcome.refs)
            stats.tag_filter_errors += outcome.filter_errors
            merge_filter_errors(condition_errors, selector.pattern, outcome)
            refs.extend(outcome.refs)
            self.progress(REPOSITORIES, 1)
            self.progress(TAGS, len(outcome.refs))
        stats.filter_errors = filter_error_summary(condition_errors)
        if repos and len(failures) == len(repos):
            first = failures[0]
            raise RegistryError(
                self.api.host, f"no repository could be listed: {first.detail}", first.status
            ) from first
        return refs

    def _resolve_all(
        self, pool: ThreadPoolExecutor, refs: list[TagRef], result: DiscoveryResult
    ) -> list[TagRef]:
        """HEAD every kept tag; the refs that resolved, with their digests."""
        resolved: list[TagRef] = []
        for head in _pmap(pool, self._head, refs):
            if head.error is not None:
                result.errors.append(head.error)
            if head.learned is not None:
                self.cache[head.learned[0]] = head.learned[1]
            if head.ref is not None:
                resolved.append(head.ref)
        return resolved

    def _fetch_unknown(
        self, pool: ThreadPoolExecutor, refs: list[TagRef], result: DiscoveryResult
    ) -> None:
        """GET each digest no cache knows, once, into the cache."""
        for fetched in _pmap(pool, self._fetch, unknown_digests(refs, self.cache)):
            if isinstance(fetched, DiscoveryError):
                result.errors.append(fetched)
            else:
                self.cache[fetched[0]] = fetched[1]

    def _list_tags(self, item: tuple[str, RepositorySelector]) -> TagListing | RegistryError:
        name, selector = item
        try:
            tags = self.api.tags(name)
        except RegistryError as exc:
            return exc
        return filter_tags(name, selector, tags)

    def _head(self, ref: TagRef) -> _Resolved:
        try:
            return self._resolve(ref)
        finally:
            self.progress(RESOLVED, 1)

    def _resolve(self, ref: TagRef) -> _Resolved:
        try:
            digest, _ = self.api.head_manifest(ref.repository, ref.tag)
            learned = None
            if not valid_digest(digest):  # registry did not send it: GET by tag instead
                body, ctype = self.api.get_manifest(ref.repository, ref.tag)
                info = parse_manifest(body, ctype)
                digest = info.digest
                learned = (digest, self._entry(ref.repository, info))
            return _Resolved(replace(ref, digest=digest), learned)
        except (RegistryError, MalformedManifest) as exc:
            error = DiscoveryError(repository=ref.repository, tag=ref.tag, message=str(exc))
            return _Resolved(None, error=error)

    def _fetch(self, item: tuple[str, str]) -> tuple[str, ManifestEntry] | DiscoveryError:
        digest, repository = item
        try:
            body, ctype = self.api.get_manifest(repository, digest)
            info = parse_manifest(body, ctype, expected_digest=digest)
            return digest, self._entry(repository, info)
        except (RegistryError, MalformedManifest) as exc:
            return DiscoveryError(repository=repository, tag=None, message=f"{digest}: {exc}")

    def _entry(self, repository: str, info: ManifestInfo) -> ManifestEntry:
        """The cache entry; a single-arch image's platform needs its config blob."""
        if info.kind != "image":
            return manifest_entry(info)
        blob = self.api.get_blob(repository, info.config_digest)
        return manifest_entry(info, parse_config_platform(blob))
