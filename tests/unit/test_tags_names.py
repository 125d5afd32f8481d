from __future__ import annotations

import pytest

from job_images.discovery.names import (
    hub_name,
    matches,
    valid_repository,
    valid_tag,
    validate_pattern,
)
from job_images.discovery.tags import parse_semver, select_recent
from job_images.discovery.urls import normalize_registry_url
from regscan.common.errors import InvalidInput


@pytest.mark.parametrize(
    ("tags", "n", "expected"),
    [
        (["1.0.0", "2.0.0", "1.5.0"], 2, ["2.0.0", "1.5.0"]),
        (["v1.0.0", "1.10.0", "1.9.0", "latest"], 3, ["1.10.0", "1.9.0", "v1.0.0"]),
        (["latest", "edge", "1.0"], 3, ["1.0", "edge", "latest"]),  # non-semver after, by name
        (["2.0.0-rc1", "2.0.0", "1.9.9"], 1, ["2.0.0"]),
        (["a", "b"], 0, []),
        (["a", "b"], None, ["a", "b"]),
    ],
)
def test_select_recent(tags: list[str], n: int | None, expected: list[str]) -> None:
    assert select_recent(tags, n) == expected


def test_select_recent_rejects_negative() -> None:
    with pytest.raises(InvalidInput, match="maxTags"):
        select_recent(["a"], -1)


@pytest.mark.parametrize(
    ("tag", "normalize", "ok"),
    [
        ("v1.2.3", True, True),
        ("v1.2.3", False, False),
        ("1.2", True, True),
        ("1.2", False, False),
        ("latest", True, False),
        ("1.2.3-rc.1+build", False, True),
    ],
)
def test_parse_semver(tag: str, normalize: bool, ok: bool) -> None:
    assert (parse_semver(tag, normalize) is not None) is ok


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("library/alpine", True),
        ("a/b/c-d_e.f", True),
        ("Upper", False),
        ("../etc", False),
        ("a//b", False),
        ("a/$(id)", False),
        ("with space", False),
        ("-lead", False),
    ],
)
def test_valid_repository(name: str, ok: bool) -> None:
    assert valid_repository(name) is ok


@pytest.mark.parametrize(
    ("tag", "ok"),
    [
        ("v1.0", True),
        ("a" * 128, True),
        ("a" * 129, False),
        (".hidden", False),
        ("x/y", False),
        ("$(id)", False),
        ("a b", False),
        ("_ok-1.2", True),
    ],
)
def test_valid_tag(tag: str, ok: bool) -> None:
    assert valid_tag(tag) is ok


@pytest.mark.parametrize(
    ("pattern", "name", "ok"),
    [
        ("team-a/*", "team-a/app", True),
        ("team-a/*", "team-a/sub/app", False),
        ("team-a/**", "team-a/sub/app", True),
        ("**", "x/y/z", True),
        ("app?", "app1", True),
        ("team-a/app", "team-a/app", True),
        ("team-a/app", "team-a/app2", False),
    ],
)
def test_glob(pattern: str, name: str, ok: bool) -> None:
    assert matches(validate_pattern(pattern), name) is ok


@pytest.mark.parametrize("pattern", ["", "../x", "UP/*", "a b"])
def test_bad_pattern(pattern: str) -> None:
    with pytest.raises(InvalidInput, match="repository"):
        validate_pattern(pattern)


@pytest.mark.parametrize(
    ("host", "name", "expected"),
    [
        ("registry-1.docker.io", "busybox", "library/busybox"),
        ("docker.io", "busybox", "library/busybox"),
        ("index.docker.io:443", "alpine", "library/alpine"),
        ("Registry-1.Docker.io", "alpine", "library/alpine"),
        ("registry-1.docker.io", "bitnami/redis", "bitnami/redis"),
        ("registry-1.docker.io", "library/busybox", "library/busybox"),
        ("registry-1.docker.io", "busy*", "busy*"),  # a glob needs the catalog anyway
        ("ghcr.io", "busybox", "busybox"),
        ("docker.io:5000", "busybox", "busybox"),
        ("127.0.0.1:5000", "busybox", "busybox"),
    ],
)
def test_docker_hub_short_names(host: str, name: str, expected: str) -> None:
    assert hub_name(host, name) == expected


@pytest.mark.parametrize(
    ("url", "base", "host"),
    [
        ("docker.io", "https://registry-1.docker.io", "registry-1.docker.io"),
        ("https://docker.io/", "https://registry-1.docker.io", "registry-1.docker.io"),
        ("index.docker.io", "https://index.docker.io", "index.docker.io"),
        ("registry-1.docker.io", "https://registry-1.docker.io", "registry-1.docker.io"),
        ("ghcr.io", "https://ghcr.io", "ghcr.io"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000", "127.0.0.1:5000"),
    ],
)
def test_registry_urls(url: str, base: str, host: str) -> None:
    assert normalize_registry_url(url) == (base, host)
