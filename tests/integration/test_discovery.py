"""Discovery against the real registry: anonymous, basic, TLS and bearer auth, pagination."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest

from job_images.credentials import Credentials
from job_images.discovery.celfilter import MatchCondition, TagFilter
from job_images.discovery.client import ClientOptions, RegistryClient
from job_images.discovery.platforms import parse_platform
from regscan.common.errors import RegistryError
from tests.bench import servers
from tests.bench.catalog import SampleCatalog
from tests.bench.faults import FaultProxy
from tests.bench.images import build_image
from tests.bench.pusher import Pusher
from tests.bench.tokenserver import TokenServer
from tests.integration.helpers import FAST, TINY, regscan, run


def test_sample_catalog(registry: servers.Registry, samples: SampleCatalog) -> None:
    result = run(registry.url, "samples/*", "mirror/alpine")
    by = {(i.repository, i.platform): i for i in result.images}
    assert set(by) == {
        ("samples/alpine", "linux/amd64"),
        ("samples/alpine", "linux/arm64"),
        ("samples/alpine", "linux/arm/v7"),
        ("mirror/alpine", "linux/amd64"),
        ("mirror/alpine", "linux/arm64"),
        ("mirror/alpine", "linux/arm/v7"),
        ("samples/debian", "linux/amd64"),
        ("samples/debian", "linux/arm64"),
        ("samples/python", "linux/amd64"),
    }  # the unknown/unknown attestation entry is not an image
    alpine = by[("samples/alpine", "linux/arm/v7")]
    assert alpine.tags == ["3.18", "3.18.4", "latest"]  # three tags, one image
    assert alpine.digest == samples.alpine_children["linux/arm/v7"]
    assert alpine.index_digest == samples.alpine_index
    # same content in two repositories: two images, recognisable by digest
    assert by[("mirror/alpine", "linux/arm/v7")].digest == alpine.digest
    assert by[("samples/python", "linux/amd64")].index_digest is None
    assert by[("samples/debian", "linux/arm64")].digest == samples.debian_children["linux/arm64"]
    req = result.stats.requests
    assert req["head"] == 3 + 1 + 2 + 3  # one HEAD per tag
    assert req["get"] == 3  # alpine index (shared by mirror/), debian list, python manifest
    assert req["blob"] == 1  # config only for the single-arch image
    assert result.errors == []


def test_unchanged_rerun_needs_no_manifest_get(
    registry: servers.Registry, samples: SampleCatalog
) -> None:
    first = run(registry.url, "samples/*")
    second = run(registry.url, "samples/*", previous=first.manifests)
    assert second.images == first.images
    assert second.stats.requests.get("get", 0) == 0
    assert second.stats.requests.get("blob", 0) == 0


def test_platform_cel_and_max_tags(registry: servers.Registry, samples: SampleCatalog) -> None:
    arm = run(registry.url, "samples/*", platforms=[parse_platform("linux/arm64")])
    assert {i.platform for i in arm.images} == {"linux/arm64"}
    assert {i.repository for i in arm.images} == {"samples/alpine", "samples/debian"}
    only_semver = TagFilter([MatchCondition("semver", "isSemver(tag, true)")])
    res = run(registry.url, "samples/python", tag_filter=only_semver, max_tags=1)
    assert [i.tags for i in res.images] == [["1.0.0"]]
    assert res.stats.tags == 3 and res.stats.tags_matched == 1


def test_basic_auth(registry_basic: servers.Registry, tmp_path: Path) -> None:
    Pusher(registry_basic.url, auth=registry_basic.auth).push_image(
        "auth/app", ["v1"], build_image(TINY)
    )
    user, password = registry_basic.auth or ("", "")
    ok = run(registry_basic.url, "auth/app", credentials=Credentials(user, password))
    assert [i.tags for i in ok.images] == [["v1"]]
    with pytest.raises(RegistryError) as err:
        run(registry_basic.url, "auth/app", credentials=Credentials(user, "wrong"))
    assert err.value.status == 401
    with pytest.raises(RegistryError) as err:
        run(registry_basic.url, "auth/app")
    assert err.value.status == 401
    # CLI: docker config file, and wrong password on stdin -> exit 1, no secret printed
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    import base64

    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    (cfg / "config.json").write_text(json.dumps({"auths": {registry_basic.host: {"auth": token}}}))
    out = regscan(
        "discover",
        "--registry",
        registry_basic.url,
        "--repository",
        "auth/app",
        "--docker-config",
        str(cfg),
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["images"][0]["tags"] == ["v1"]
    bad = regscan(
        "discover",
        "--registry",
        registry_basic.url,
        "--username",
        user,
        "--password-stdin",
        stdin="very-wrong-secret\n",
    )
    assert bad.returncode == 1
    assert registry_basic.host in bad.stderr and "401" in bad.stderr
    assert "very-wrong-secret" not in bad.stderr + bad.stdout
    assert password not in out.stdout + out.stderr


def test_tls_with_ca_file(registry_tls: servers.Registry) -> None:
    Pusher(registry_tls.url, auth=registry_tls.auth, verify=registry_tls.verify).push_image(
        "tls/app", ["v1"], build_image(TINY)
    )
    creds = Credentials(*(registry_tls.auth or ("", "")))
    ok = run(
        registry_tls.url,
        "tls/app",
        credentials=creds,
        options=ClientOptions(ca_file=str(registry_tls.ca_file), retries=0),
    )
    assert len(ok.images) == 1
    with pytest.raises(RegistryError, match=r"TLS verification failed: .*--ca-file PEM"):
        run(registry_tls.url, "tls/app", credentials=creds, options=ClientOptions(retries=0))
    insecure = run(
        registry_tls.url,
        "tls/app",
        credentials=creds,
        options=ClientOptions(insecure=True, retries=0),
    )
    assert len(insecure.images) == 1


def test_bearer_token_flow(tmp_path: Path) -> None:
    data = tmp_path / "data"
    anon = servers.start_registry(tmp_path / "push", data_dir=data)
    try:
        pusher = Pusher(anon.url)
        for repo in ("tok/a", "tok/b"):
            pusher.push_image(repo, ["v1", "v2"], build_image(TINY))
    finally:
        anon.stop()
    tokens = TokenServer(tmp_path, {"alice": "pw-alice"}, expires_in=300)
    reg = servers.start_registry(
        tmp_path / "token", data_dir=data, auth_config=tokens.registry_auth_config()
    )
    try:
        result = run(reg.url, "tok/*", credentials=Credentials("alice", "pw-alice"))
        assert {(i.repository, tuple(i.tags)) for i in result.images} == {
            ("tok/a", ("v1", "v2")),
            ("tok/b", ("v1", "v2")),
        }
        # one token per scope (ping, catalog, each repository), then cached
        assert sorted(tokens.issued) == [
            "",
            "registry:catalog:*",
            "repository:tok/a:pull",
            "repository:tok/b:pull",
        ]
        assert result.stats.requests["token"] == 4
        with pytest.raises(RegistryError) as err:
            run(reg.url, "tok/a", credentials=Credentials("alice", "nope"))
        assert err.value.status == 401
    finally:
        reg.stop()
        tokens.stop()


def test_expired_token_is_refreshed(tmp_path: Path) -> None:
    tokens = TokenServer(tmp_path, {"u": "p"}, expires_in=3)
    reg = servers.start_registry(tmp_path / "r", auth_config=tokens.registry_auth_config())
    now = [0.0]
    client = RegistryClient(reg.url, Credentials("u", "p"), FAST, clock=lambda: now[0])
    try:
        client.ping()
        client.ping()
        assert client.counts["token"] == 1
        now[0] += 10  # past expires_in - margin
        client.ping()
        assert client.counts["token"] == 2
    finally:
        client.close()
        reg.stop()
        tokens.stop()


def test_zero_tags_and_128_char_tags(registry: servers.Registry) -> None:
    pusher = Pusher(registry.url)
    pusher.push_image("odd/untagged", [], build_image(TINY))  # pushed by digest only
    long_tag = "v" + "1" * 127
    pusher.push_image("odd/longtag", [long_tag], build_image(TINY))
    result = run(registry.url, "odd/untagged", "odd/longtag")
    assert [i.tags for i in result.images] == [[long_tag]]
    assert result.stats.repositories == 2


def test_tag_pagination(registry: servers.Registry, proxy: FaultProxy) -> None:
    Pusher(registry.url).push_image(
        "paged/tags", [f"t{i:03d}" for i in range(120)], build_image(TINY)
    )
    options = ClientOptions(page_size=50, retries=0)
    result = run(proxy.url, "paged/tags", options=options)
    assert len(result.images[0].tags) == 120
    assert result.stats.requests["tags"] == 3
    assert result.stats.requests["head"] == 120 and result.stats.requests["get"] == 1


def test_catalog_of_thousands_paginates(tmp_path: Path) -> None:
    reg = servers.start_registry(tmp_path / "big")
    try:
        Pusher(reg.url).push_image("bulk/r0000", ["v1"], build_image(TINY))
        repos = tmp_path / "big" / "data" / "docker" / "registry" / "v2" / "repositories" / "bulk"
        for i in range(1, 2500):  # same on-disk layout the registry writes, cloned
            shutil.copytree(repos / "r0000", repos / f"r{i:04d}")
        client = RegistryClient(reg.url, None, ClientOptions(page_size=200))
        names = client.catalog()
        assert len(names) == 2500 and len(set(names)) == 2500
        assert client.counts["catalog"] == 13
        result = run(reg.url, "bulk/r00*", options=ClientOptions(page_size=500, concurrency=16))
        assert result.stats.repositories == 100 and len(result.images) == 100
        assert result.stats.requests["get"] == 1  # one digest shared by all repositories
    finally:
        reg.stop()


def test_registry_without_catalog_access(tmp_path: Path) -> None:
    """A token server that never grants `registry:catalog:*` (as Docker Hub, GHCR, ECR):
    explicit names work without a catalog request; a glob fails with one line saying
    the catalog is unavailable and to name repositories."""
    data = tmp_path / "data"
    anon = servers.start_registry(tmp_path / "push", data_dir=data)
    try:
        pusher = Pusher(anon.url)
        pusher.push_image("hub/app", ["v1"], build_image(TINY))
        pusher.close()
    finally:
        anon.stop()
    tokens = TokenServer(tmp_path, {"alice": "pw-alice"}, catalog=False)
    reg = servers.start_registry(
        tmp_path / "token", data_dir=data, auth_config=tokens.registry_auth_config()
    )
    creds = Credentials("alice", "pw-alice")
    try:
        explicit = run(reg.url, "hub/app", credentials=creds)
        assert [(i.repository, i.tags) for i in explicit.images] == [("hub/app", ["v1"])]
        assert "catalog" not in explicit.stats.requests
        assert "registry:catalog:*" not in tokens.issued
        with pytest.raises(RegistryError) as err:
            run(reg.url, "hub/*", credentials=creds)
        assert err.value.status == 401
        assert "catalog unavailable (unauthorized)" in str(err.value)
        assert "name repositories explicitly" in str(err.value)
        # the CLI says it in one line, exit 1
        config = tmp_path / "docker"
        config.mkdir()
        auth = base64.b64encode(b"alice:pw-alice").decode()
        (config / "config.json").write_text(json.dumps({"auths": {reg.host: {"auth": auth}}}))
        proc = regscan(
            "discover", "--registry", reg.url, "--repository", "hub/*",
            "--docker-config", str(config), "-q",
        )  # fmt: skip
        assert proc.returncode == 1
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "catalog unavailable" in lines[0], proc.stderr
        assert "--repository NAME" in lines[0]
    finally:
        reg.stop()
        tokens.stop()
