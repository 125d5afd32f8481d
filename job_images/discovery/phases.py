"""The decisions of a discovery run, one pure function per phase (pure).

`run.discover` does the I/O between them: catalog -> `select_repositories`;
tags lists -> `filter_tags`; HEADs -> `unknown_digests`; manifest GETs (and the
config blob of a single-arch image) -> `manifest_entry`; then `assemble`.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from job_images.discovery.celfilter import ConditionError
from job_images.discovery.manifests import MalformedManifest, ManifestInfo
from job_images.discovery.names import hub_name, is_glob, matches, valid_repository, valid_tag
from job_images.discovery.platforms import Platform, platform_allowed, split_platform
from job_images.discovery.spec import RepositorySelector
from job_images.discovery.tags import select_recent
from regscan.common.discovery import (
    ChildEntry,
    DiscoveryError,
    FilterErrors,
    ImageEntry,
    ManifestEntry,
)
from regscan.common.errors import TagFilterFailed

EVERYTHING = RepositorySelector("**")


@dataclass(frozen=True)
class TagRef:
    """A kept tag; `digest` is set once its HEAD (or GET by tag) answered."""

    repository: str
    tag: str
    digest: str = ""


@dataclass(frozen=True)
class Selection:
    repositories: list[tuple[str, RepositorySelector]]
    errors: list[DiscoveryError] = field(default_factory=list)


@dataclass(frozen=True)
class TagListing:
    """One repository's tags after validation, the CEL filter and maxTags."""

    refs: list[TagRef]
    listed: int  # tags the registry returned
    errors: list[DiscoveryError] = field(default_factory=list)
    filter_errors: int = 0  # CEL evaluation errors (each counted as no match)
    # condition -> (tags it failed on, one "TAG: message")
    condition_errors: dict[str, tuple[int, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Assembly:
    images: list[ImageEntry]
    manifests: dict[str, ManifestEntry]  # digest of every tag that resolved


def effective_selectors(
    selectors: Sequence[RepositorySelector], host: str = ""
) -> list[RepositorySelector]:
    """No selector means the whole catalog; Docker Hub's short names mean `library/…`."""
    return [replace(s, pattern=hub_name(host, s.pattern)) for s in selectors] or [EVERYTHING]


def needs_catalog(selectors: Sequence[RepositorySelector]) -> bool:
    """Only explicit names need no catalog listing."""
    return any(is_glob(s.pattern) for s in effective_selectors(selectors))


def select_repositories(names: Iterable[str], selectors: Sequence[RepositorySelector]) -> Selection:
    """Each valid name once, with the first selector it matches; invalid names are errors."""
    wanted = effective_selectors(selectors)
    out: list[tuple[str, RepositorySelector]] = []
    errors: list[DiscoveryError] = []
    seen: set[str] = set()
    for name in names:
        if name in seen:
            continue
        seen.add(name)
        if not valid_repository(name):
            errors.append(DiscoveryError(repository=name[:300], message="invalid repository name"))
            continue
        selector = next((s for s in wanted if matches(s.pattern, name)), None)
        if selector is not None:
            out.append((name, selector))
    return Selection(out, errors)


def filter_tags(repository: str, selector: RepositorySelector, tags: Sequence[str]) -> TagListing:
    errors: list[DiscoveryError] = []
    good: list[str] = []
    for tag in tags:
        if valid_tag(tag):
            good.append(tag)
        else:
            errors.append(
                DiscoveryError(repository=repository, tag=tag[:200], message="invalid tag name")
            )
    filter_errors = 0
    failed: dict[str, tuple[int, str]] = {}
    if selector.tag_filter is not None:
        kept: list[str] = []
        for tag in good:
            verdict = selector.tag_filter.evaluate(repository, tag)
            filter_errors += len(verdict.errors)
            for err in verdict.errors:
                if selector.strict:
                    raise TagFilterFailed(strict_message(repository, tag, err))
                count, example = failed.get(err.condition, (0, f"{tag}: {err.message}"))
                failed[err.condition] = (count + 1, example)
            if verdict.matched:
                kept.append(tag)
        good = kept
    good = select_recent(good, selector.max_tags)
    refs = [TagRef(repository, t) for t in good]
    return TagListing(refs, len(tags), errors, filter_errors, failed)


def strict_message(repository: str, tag: str, err: ConditionError) -> str:
    return (
        f"tag filter: condition {err.condition!r} failed on {repository}:{tag}: {err.message} "
        "(strict filters: fix the expression, or drop --strict-filters / "
        "spec.repositories[].strict to count such tags as no match)"
    )


def merge_filter_errors(
    total: dict[tuple[str, str], tuple[int, str]], pattern: str, listing: TagListing
) -> None:
    """Add one repository's per-condition failures under its repository entry."""
    for condition, (count, example) in listing.condition_errors.items():
        before, first = total.get((pattern, condition), (0, example))
        total[(pattern, condition)] = (before + count, first)


def filter_error_summary(total: Mapping[tuple[str, str], tuple[int, str]]) -> list[FilterErrors]:
    return [
        FilterErrors(repository=pattern, condition=condition, tags=count, example=example[:500])
        for (pattern, condition), (count, example) in sorted(total.items())
    ]


def unknown_digests(refs: Iterable[TagRef], *known: Container[str]) -> list[tuple[str, str]]:
    """(digest, repository to GET it from): digests no cache knows, once each, first seen."""
    out: dict[str, str] = {}
    for ref in refs:
        if ref.digest not in out and not any(ref.digest in cache for cache in known):
            out[ref.digest] = ref.repository
    return list(out.items())


def manifest_entry(info: ManifestInfo, config_platform: Platform | None = None) -> ManifestEntry:
    """The cache entry of a parsed manifest; an image needs its config's platform."""
    if info.kind == "index":
        children = [
            ChildEntry(
                digest=c.digest, platform=str(c.platform), osFeatures=list(c.platform.os_features)
            )
            for c in info.children
        ]
        return ManifestEntry(kind="index", children=children)
    if info.kind == "image":
        if config_platform is None:
            raise MalformedManifest("image config has no os/architecture")
        return ManifestEntry(
            kind="image",
            platform=str(config_platform),
            osFeatures=list(config_platform.os_features),
        )
    return ManifestEntry(kind="artifact")


def assemble(
    host: str,
    refs: Iterable[TagRef],
    cache: Mapping[str, ManifestEntry],
    platforms: Sequence[Platform],
) -> Assembly:
    """One image per repository x platform digest, its tags merged and sorted; sorted images."""
    images: dict[tuple[str, str], ImageEntry] = {}
    manifests: dict[str, ManifestEntry] = {}

    def add(
        ref: TagRef, digest: str, platform: str, index: str | None, features: list[str]
    ) -> None:
        parsed = split_platform(platform)
        if not platform_allowed(parsed, list(platforms)):
            return
        entry = images.get((ref.repository, digest))
        if entry is None:
            entry = images[(ref.repository, digest)] = ImageEntry(
                registry=host,
                repository=ref.repository,
                tags=[],
                digest=digest,
                platform=platform,
                indexDigest=index,
                osVersion=parsed.os_version or None,
                osFeatures=features,
            )
        if ref.tag not in entry.tags:
            entry.tags.append(ref.tag)
        if entry.index_digest is None and index is not None:
            entry.index_digest = index

    for ref in refs:
        cached = cache.get(ref.digest)
        if cached is None:
            continue  # its manifest failed; already recorded
        manifests[ref.digest] = cached
        if cached.kind == "index":
            for child in cached.children:
                add(ref, child.digest, child.platform, ref.digest, child.os_features)
        elif cached.kind == "image" and cached.platform:
            add(ref, ref.digest, cached.platform, None, cached.os_features)
    for entry in images.values():
        entry.tags.sort()
    ordered = sorted(images.values(), key=lambda e: (e.repository, e.platform, e.digest))
    return Assembly(ordered, manifests)
