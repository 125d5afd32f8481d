"""Tables for the pure phases of a discovery run (no registry, no threads)."""

from __future__ import annotations

import pytest

from job_images.discovery.celfilter import MatchCondition, TagFilter
from job_images.discovery.manifests import (
    OCI_INDEX,
    OCI_MANIFEST,
    Child,
    MalformedManifest,
    ManifestInfo,
)
from job_images.discovery.phases import (
    EVERYTHING,
    TagRef,
    assemble,
    filter_error_summary,
    filter_tags,
    manifest_entry,
    merge_filter_errors,
    needs_catalog,
    select_repositories,
    unknown_digests,
)
from job_images.discovery.platforms import Platform, parse_platform
from job_images.discovery.spec import RepositorySelector
from regscan.common.discovery import ChildEntry, ManifestEntry
from regscan.common.errors import TagFilterFailed

D1, D2, D3, D4 = ("sha256:" + c * 64 for c in "1234")
CATALOG = ["a/one", "a/two", "a/x/deep", "b/one", "c", "Bad", "a/one"]


def sel(*patterns: str) -> list[RepositorySelector]:
    return [RepositorySelector(p) for p in patterns]


@pytest.mark.parametrize(
    ("patterns", "catalog"),
    [((), True), (("a/one",), False), (("a/one", "b/*"), True), (("a/[ot]ne",), True)],
)
def test_needs_catalog(patterns: tuple[str, ...], catalog: bool) -> None:
    assert needs_catalog(sel(*patterns)) is catalog


@pytest.mark.parametrize(
    ("patterns", "selected"),
    [
        ((), ["a/one", "a/two", "a/x/deep", "b/one", "c"]),
        (("a/*",), ["a/one", "a/two"]),
        (("a/**",), ["a/one", "a/two", "a/x/deep"]),
        (("*/one",), ["a/one", "b/one"]),
        (("c", "nope"), ["c"]),
    ],
)
def test_select_repositories(patterns: tuple[str, ...], selected: list[str]) -> None:
    selection = select_repositories(CATALOG, sel(*patterns))
    assert [name for name, _ in selection.repositories] == selected  # catalog order, once each
    assert [(e.repository, e.message) for e in selection.errors] == [
        ("Bad", "invalid repository name")
    ]


def test_first_matching_selector_wins() -> None:
    specific = RepositorySelector("a/one", max_tags=1)
    broad = RepositorySelector("a/*", max_tags=5)
    selection = select_repositories(["a/one", "a/two"], [specific, broad])
    assert selection.repositories == [("a/one", specific), ("a/two", broad)]
    assert select_repositories(["x"], []).repositories == [("x", EVERYTHING)]


def test_overlong_invalid_name_is_truncated_in_the_error() -> None:
    selection = select_repositories(["A" * 1000], [])
    assert selection.repositories == [] and len(selection.errors[0].repository) == 300


SEMVER_ONLY = TagFilter([MatchCondition("s", "semver(tag, true).major() >= 1")])


@pytest.mark.parametrize(
    ("selector", "tags", "kept", "invalid", "filter_errors"),
    [
        (EVERYTHING, ["v1", "latest"], ["v1", "latest"], [], 0),
        (EVERYTHING, ["ok", "-bad", "x" * 129, ".no"], ["ok"], ["-bad", "x" * 129, ".no"], 0),
        (RepositorySelector("r", SEMVER_ONLY), ["v1.0", "0.9", "latest"], ["v1.0"], [], 1),
        (RepositorySelector("r", None, 2), ["1.0", "3.0", "2.0", "dev"], ["3.0", "2.0"], [], 0),
        (RepositorySelector("r", None, 3), ["1.0", "dev", "beta"], ["1.0", "beta", "dev"], [], 0),
        (RepositorySelector("r", SEMVER_ONLY, 1), ["1.0", "2.0", "edge"], ["2.0"], [], 1),
        (RepositorySelector("r", None, 0), ["1.0"], [], [], 0),
        (EVERYTHING, [], [], [], 0),
    ],
)
def test_filter_tags(
    selector: RepositorySelector,
    tags: list[str],
    kept: list[str],
    invalid: list[str],
    filter_errors: int,
) -> None:
    listing = filter_tags("r", selector, tags)
    assert [ref.tag for ref in listing.refs] == kept
    assert all(ref == TagRef("r", ref.tag) for ref in listing.refs)  # digest not known yet
    assert [e.tag for e in listing.errors] == [t[:200] for t in invalid]
    assert {e.message for e in listing.errors} <= {"invalid tag name"}
    assert listing.listed == len(tags)
    assert listing.filter_errors == filter_errors


@pytest.mark.parametrize(
    ("refs", "known", "unknown"),
    [
        ([("a", D1), ("b", D1), ("b", D2)], [], [(D1, "a"), (D2, "b")]),
        ([("a", D1), ("b", D2)], [{D1}], [(D2, "b")]),
        ([("a", D1), ("b", D2), ("c", D3)], [{D1}, {D3}], [(D2, "b")]),
        ([("a", D1)], [{D1}], []),
        ([], [], []),
    ],
)
def test_unknown_digests(
    refs: list[tuple[str, str]], known: list[set[str]], unknown: list[tuple[str, str]]
) -> None:
    tag_refs = [TagRef(repo, "t", digest) for repo, digest in refs]
    assert unknown_digests(tag_refs, *known) == unknown


AMD64, ARM64 = Platform("linux", "amd64"), Platform("linux", "arm64")


def test_manifest_entry() -> None:
    index = ManifestInfo(
        D1, OCI_INDEX, "index", children=(Child(D2, OCI_MANIFEST, AMD64), Child(D3, "", ARM64))
    )
    assert manifest_entry(index) == ManifestEntry(
        kind="index",
        children=[
            ChildEntry(digest=D2, platform="linux/amd64"),
            ChildEntry(digest=D3, platform="linux/arm64"),
        ],
    )
    image = ManifestInfo(D2, OCI_MANIFEST, "image", config_digest=D4)
    assert manifest_entry(image, AMD64) == ManifestEntry(kind="image", platform="linux/amd64")
    with pytest.raises(MalformedManifest, match="os/architecture"):
        manifest_entry(image, None)
    artifact = ManifestInfo(D3, OCI_MANIFEST, "artifact", config_digest=D4)
    assert manifest_entry(artifact) == ManifestEntry(kind="artifact")


CACHE = {
    D1: ManifestEntry(
        kind="index",
        children=[
            ChildEntry(digest=D2, platform="linux/arm64"),
            ChildEntry(digest=D3, platform="linux/amd64"),
        ],
    ),
    D3: ManifestEntry(kind="image", platform="linux/amd64"),
    D4: ManifestEntry(kind="artifact"),
}


def test_assemble_merges_tags_per_repository_and_platform_digest() -> None:
    refs = [
        TagRef("r", "latest", D1),
        TagRef("r", "1.0", D1),
        TagRef("r", "single", D3),  # same digest as the index's amd64 child
        TagRef("r", "sbom", D4),  # artifact: no image
        TagRef("r", "lost", D2),  # its manifest failed: not in the cache
        TagRef("q", "v1", D3),
    ]
    out = assemble("reg:5000", refs, CACHE, [])
    assert [(i.repository, i.platform, i.digest, i.tags, i.index_digest) for i in out.images] == [
        ("q", "linux/amd64", D3, ["v1"], None),
        ("r", "linux/amd64", D3, ["1.0", "latest", "single"], D1),
        ("r", "linux/arm64", D2, ["1.0", "latest"], D1),
    ]
    assert {i.registry for i in out.images} == {"reg:5000"}
    assert out.manifests == {d: CACHE[d] for d in (D1, D3, D4)}


@pytest.mark.parametrize(
    ("platforms", "expected"),
    [
        ([], ["linux/amd64", "linux/arm64"]),
        (["linux/arm64"], ["linux/arm64"]),
        (["linux/arm64/v8"], ["linux/arm64"]),
        (["windows/amd64"], []),
    ],
)
def test_assemble_platform_filter(platforms: list[str], expected: list[str]) -> None:
    wanted = [parse_platform(p) for p in platforms]
    out = assemble("reg", [TagRef("r", "t", D1)], CACHE, wanted)
    assert [i.platform for i in out.images] == expected
    assert out.manifests == {D1: CACHE[D1]}  # the cache entry is kept even when filtered out


@pytest.mark.parametrize(
    ("operator", "conditions", "tag", "expected"),
    [
        ("and", ['tag.startsWith("v")', "semver(tag, true).major() == 1"], "v1.2", (True, 0)),
        ("and", ['tag.startsWith("v")', "semver(tag).major() == 1"], "vx", (False, 1)),
        ("and", ['tag.startsWith("x")', "semver(tag).major() == 1"], "latest", (False, 0)),
        ("or", ["semver(tag).major() == 1", 'tag == "latest"'], "latest", (True, 1)),
        ("or", ['tag == "latest"', "semver(tag).major() == 1"], "latest", (True, 0)),
        ("or", ["semver(tag).major() == 1", "semver(tag).minor() == 1"], "dev", (False, 2)),
    ],
)
def test_tag_filter_evaluate(
    operator: str, conditions: list[str], tag: str, expected: tuple[bool, int]
) -> None:
    f = TagFilter([MatchCondition(f"c{i}", c) for i, c in enumerate(conditions)], operator)
    verdict = f.evaluate("repo", tag)
    assert (verdict.matched, len(verdict.errors)) == expected
    assert f.evaluate("repo", tag) == verdict  # evaluate() changes nothing
    assert f.matches("repo", tag) is expected[0]
    for error in verdict.errors:
        assert error.condition.startswith("c") and error.message


NEWER = MatchCondition("newer", 'semver(tag).isGreaterThan(semver("1.5.0"))')
SHORT = MatchCondition("short", "size(tag) < 6")


@pytest.mark.parametrize(
    ("conditions", "tags", "kept", "errors"),
    [
        ([NEWER], ["1.0.0", "2.0.0"], ["2.0.0"], {}),
        (
            [NEWER],
            ["2.0.0", "latest", "dev"],
            ["2.0.0"],
            {"newer": (2, "latest: ")},
        ),
        ([SHORT, NEWER], ["edge", "nightly", "2.0.0"], ["2.0.0"], {"newer": (1, "edge: ")}),
    ],
)
def test_filter_errors_per_condition(
    conditions: list[MatchCondition],
    tags: list[str],
    kept: list[str],
    errors: dict[str, tuple[int, str]],
) -> None:
    listing = filter_tags("r", RepositorySelector("r", TagFilter(conditions)), tags)
    assert [ref.tag for ref in listing.refs] == kept
    assert {c: n for c, (n, _) in listing.condition_errors.items()} == {
        c: n for c, (n, _) in errors.items()
    }
    for condition, (_, prefix) in errors.items():
        example = listing.condition_errors[condition][1]
        assert example.startswith(prefix) and len(example) > len(prefix)


def test_strict_filters_fail_on_the_first_evaluation_error() -> None:
    selector = RepositorySelector("r", TagFilter([NEWER]), None, strict=True)
    assert [r.tag for r in filter_tags("r", selector, ["2.0.0", "1.0.0"]).refs] == ["2.0.0"]
    with pytest.raises(TagFilterFailed) as err:
        filter_tags("r", selector, ["2.0.0", "latest"])
    text = str(err.value)
    assert "condition 'newer' failed on r:latest" in text and "\n" not in text
    assert "--strict-filters" in text and err.value.exit_code == 1


def test_filter_error_summary_merges_repositories_of_one_entry() -> None:
    total: dict[tuple[str, str], tuple[int, str]] = {}
    selector = RepositorySelector("team/*", TagFilter([NEWER]))
    merge_filter_errors(total, "team/*", filter_tags("team/a", selector, ["x", "2.0.0"]))
    merge_filter_errors(total, "team/*", filter_tags("team/b", selector, ["y", "z"]))
    (summary,) = filter_error_summary(total)
    assert (summary.repository, summary.condition, summary.tags) == ("team/*", "newer", 3)
    assert summary.example.startswith("x: ")
