"""The discovery run against an in-memory `RegistryApi`: selection, request economy, errors."""

from __future__ import annotations

import json

import pytest

from job_images.discovery.api import RegistryApi
from job_images.discovery.celfilter import MatchCondition, TagFilter
from job_images.discovery.manifests import OCI_MANIFEST
from job_images.discovery.options import ClientOptions
from job_images.discovery.platforms import parse_platform
from job_images.discovery.run import DiscoverySpec, RepositorySelector, discover
from job_images.discovery.selection import discovery_spec
from regscan.common.discovery import DiscoveryResult, ManifestEntry
from regscan.common.errors import RegistryError, TagFilterFailed
from regscan.common.registry import RepositorySpec
from tests.unit.fake_registry import FakeRegistry


def run(
    fake: RegistryApi,
    *patterns: str,
    platforms: tuple[str, ...] = (),
    previous: dict[str, ManifestEntry] | None = None,
    tag_filter: TagFilter | None = None,
    max_tags: int | None = None,
) -> DiscoveryResult:
    selectors = [RepositorySelector(p, tag_filter, max_tags) for p in patterns]
    spec = DiscoverySpec(
        "http://fake.example:5000",
        selectors,
        [parse_platform(p) for p in platforms],
        None,
        ClientOptions(concurrency=4),
    )
    return discover(spec, previous=previous, client=fake)


def repos_of(result: DiscoveryResult) -> set[str]:
    return {i.repository for i in result.images}


@pytest.fixture
def teams() -> FakeRegistry:
    fake = FakeRegistry()
    fake.image("team-a/app", ["v1"], salt="a-app")
    fake.image("team-a/db", ["v1"], salt="a-db")
    fake.image("team-a/sub/deep", ["v1"], salt="a-deep")
    fake.image("team-b/app", ["v1"], salt="b-app")
    fake.image("other", ["v1"], salt="other")
    return fake


def test_globs_and_explicit_names_select_repositories(teams: FakeRegistry) -> None:
    result = run(teams, "team-a/*", "team-b/app")
    assert repos_of(result) == {"team-a/app", "team-a/db", "team-b/app"}
    assert result.stats.repositories == 3
    assert teams.count("catalog") == 1  # a glob needs the catalog
    assert repos_of(run(teams, "team-a/**")) == {"team-a/app", "team-a/db", "team-a/sub/deep"}


def test_explicit_names_need_no_catalog(teams: FakeRegistry) -> None:
    result = run(teams, "team-b/app", "other", "team-b/app")
    assert repos_of(result) == {"team-b/app", "other"}
    assert result.stats.repositories == 2  # the repeated name is listed once
    assert "catalog" not in result.stats.requests
    assert result.stats.requests["tags"] == 2


def test_no_selector_means_the_whole_catalog_and_invalid_names_are_errors(
    teams: FakeRegistry,
) -> None:
    teams.extra_catalog = ["Bad/Name", "../etc"]
    result = run(teams)
    assert repos_of(result) == {"team-a/app", "team-a/db", "team-a/sub/deep", "team-b/app", "other"}
    assert [(e.repository, e.message) for e in result.errors] == [
        ("Bad/Name", "invalid repository name"),
        ("../etc", "invalid repository name"),
    ]


def test_digest_shared_by_repositories_is_fetched_once() -> None:
    fake = FakeRegistry()
    digest = fake.image("a/one", ["v1", "latest"])
    fake.image("b/two", ["v2"])  # same content: same digest
    result = run(fake, "a/one", "b/two")
    assert [(i.repository, i.digest, i.tags) for i in result.images] == [
        ("a/one", digest, ["latest", "v1"]),
        ("b/two", digest, ["v2"]),
    ]
    req = result.stats.requests
    assert (req["head"], req["get"], req["blob"]) == (3, 1, 1)
    assert [c for c in fake.calls if c[0] == "get"] == [("get", "a/one", digest)]


def test_multi_arch_index_gives_one_image_per_platform() -> None:
    fake = FakeRegistry()
    index, children = fake.index(
        "multi/app", ["1.0", "latest"], ["linux/amd64", "linux/arm64", "linux/arm/v7"]
    )
    result = run(fake, "multi/app")
    assert [(i.platform, i.digest, i.index_digest, i.tags) for i in result.images] == [
        ("linux/amd64", children["linux/amd64"], index, ["1.0", "latest"]),
        ("linux/arm/v7", children["linux/arm/v7"], index, ["1.0", "latest"]),
        ("linux/arm64", children["linux/arm64"], index, ["1.0", "latest"]),
    ]
    assert result.stats.images == 3
    assert result.manifests[index].kind == "index"
    req = result.stats.requests
    assert (req["head"], req["get"], req.get("blob", 0)) == (2, 1, 0)  # children not fetched


def test_platform_filter() -> None:
    fake = FakeRegistry()
    fake.index("multi/app", ["1.0"], ["linux/amd64", "linux/arm64"])
    fake.image("single/app", ["1.0"], "linux/amd64")
    result = run(fake, "multi/app", "single/app", platforms=("linux/arm64",))
    assert [(i.repository, i.platform) for i in result.images] == [("multi/app", "linux/arm64")]
    assert result.errors == []


def test_cel_evaluation_errors_count_as_no_match() -> None:
    fake = FakeRegistry()
    fake.image("app", ["1.0.0", "2.0.0", "latest", "nightly"])
    newer = TagFilter([MatchCondition("newer", 'semver(tag).isGreaterThan(semver("1.5.0"))')])
    result = run(fake, "app", tag_filter=newer)
    assert [i.tags for i in result.images] == [["2.0.0"]]
    assert result.stats.tags == 4 and result.stats.tags_matched == 1
    assert result.stats.tag_filter_errors == 2  # latest, nightly: semver() raised
    assert result.errors == []
    assert result.stats.requests["head"] == 1  # only kept tags are HEADed


def test_max_tags_keeps_the_highest_semver_tags() -> None:
    fake = FakeRegistry()
    fake.image("app", ["1.0.0", "1.2.0", "2.0.0", "latest"])
    result = run(fake, "app", max_tags=2)
    assert [i.tags for i in result.images] == [["1.2.0", "2.0.0"]]
    assert result.stats.tags_matched == 2 and result.stats.requests["head"] == 2


def test_previous_cache_spares_manifest_gets() -> None:
    fake = FakeRegistry()
    fake.index("multi/app", ["1.0"], ["linux/amd64", "linux/arm64"])
    fake.image("single/app", ["1.0"])
    first = run(fake, "*/app")
    second = run(fake.fresh(), "*/app", previous=first.manifests)
    assert second.images == first.images
    assert second.manifests == first.manifests
    assert second.stats.requests.get("get", 0) == 0 and second.stats.requests.get("blob", 0) == 0
    assert second.stats.requests["head"] == 2  # every kept tag is still HEADed


def test_previous_cache_is_not_modified() -> None:
    fake = FakeRegistry()
    fake.image("app", ["v1"])
    previous: dict[str, ManifestEntry] = {}
    result = run(fake, "app", previous=previous)
    assert previous == {} and len(result.manifests) == 1


def test_failing_tags_listing_is_recorded_and_others_continue(teams: FakeRegistry) -> None:
    teams.refuse_tags["team-a/db"] = 403
    result = run(teams, "team-a/app", "team-a/db", "team-a/missing")
    assert repos_of(result) == {"team-a/app"}
    errors = {e.repository: e.message for e in result.errors}
    assert set(errors) == {"team-a/db", "team-a/missing"}
    assert "403" in errors["team-a/db"] and "404" in errors["team-a/missing"]
    assert result.stats.repositories == 3


def test_all_repositories_failing_raises(teams: FakeRegistry) -> None:
    teams.refuse_tags["team-a/db"] = 403
    with pytest.raises(RegistryError, match="no repository could be listed") as err:
        run(teams, "team-a/db", "team-a/missing")
    assert err.value.status == 403  # the first repository's failure
    assert err.value.registry == "fake.example:5000"


def test_malformed_manifest_is_recorded_and_the_run_continues() -> None:
    fake = FakeRegistry()
    fake.image("app", ["good"])
    old = fake.put_manifest(json.dumps({"schemaVersion": 1, "name": "app"}).encode())
    fake.tag("app", ["ancient"], old)
    result = run(fake, "app")
    assert [i.tags for i in result.images] == [["good"]]
    assert len(result.errors) == 1
    error = result.errors[0]
    assert (error.repository, error.tag) == ("app", None)
    assert old in error.message and "schemaVersion" in error.message


def test_head_without_digest_gets_by_tag_and_records_malformed_per_tag() -> None:
    fake = FakeRegistry()
    fake.send_digest = False
    digest = fake.image("app", ["v1", "v2"])
    fake.tag("app", ["broken"], fake.put_manifest(b"{not json", OCI_MANIFEST))
    result = run(fake, "app")
    assert [(i.digest, i.tags) for i in result.images] == [(digest, ["v1", "v2"])]
    assert [(e.repository, e.tag) for e in result.errors] == [("app", "broken")]
    assert "not JSON" in result.errors[0].message
    req = result.stats.requests
    assert req["get"] == 3  # one GET by tag per tag, no second GET by digest


def test_invalid_tags_and_artifacts_are_skipped() -> None:
    fake = FakeRegistry()
    fake.image("app", ["v1", "-bad"])
    fake.artifact("app", ["sbom"])
    result = run(fake, "app")
    assert [i.tags for i in result.images] == [["v1"]]
    assert [(e.tag, e.message) for e in result.errors] == [("-bad", "invalid tag name")]
    assert result.stats.tags == 3 and result.stats.tags_matched == 2
    assert result.stats.requests["blob"] == 1  # no config blob for the artifact


def test_a_given_client_is_not_closed() -> None:
    fake = FakeRegistry()
    fake.image("app", ["v1"])
    run(fake, "app")
    assert fake.closed is False


def test_docker_hub_short_names_mean_library() -> None:
    hub = FakeRegistry("registry-1.docker.io")
    hub.image("library/busybox", ["1.36"], salt="busybox")
    hub.image("bitnami/redis", ["7"], salt="redis")
    result = run(hub, "busybox", "bitnami/redis")
    assert sorted((i.repository, i.tags[0]) for i in result.images) == [
        ("bitnami/redis", "7"),
        ("library/busybox", "1.36"),
    ]
    assert hub.count("catalog") == 0  # explicit names never list the catalog
    elsewhere = FakeRegistry()
    elsewhere.image("library/busybox", ["1.36"], salt="busybox")
    with pytest.raises(RegistryError):  # no mapping outside Docker Hub: no such repository
        run(elsewhere, "busybox")


def test_spec_strict_fails_the_run_through_the_selection() -> None:
    fake = FakeRegistry()
    fake.image("app", ["2.0.0", "latest"])
    repo = RepositorySpec.model_validate(
        {
            "name": "app",
            "strict": True,
            "matchConditions": [{"name": "newer", "expression": "semver(tag).major() >= 2"}],
        }
    )
    spec = discovery_spec("http://fake.example:5000", False, [repo], [], None)
    assert spec.selectors[0].strict
    with pytest.raises(TagFilterFailed, match="condition 'newer' failed on app:latest"):
        discover(spec, client=fake)
    lenient = discovery_spec(
        "http://fake.example:5000", False, [repo.model_copy(update={"strict": False})], [], None
    )
    result = discover(lenient, client=fake)
    assert [(f.condition, f.tags) for f in result.stats.filter_errors] == [("newer", 1)]
