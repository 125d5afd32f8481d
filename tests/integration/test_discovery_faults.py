"""Discovery faults: unreachable, invalid input, 5xx, 429, 403/404, malformed and odd manifests."""

from __future__ import annotations

import json

import pytest

from job_images.discovery.client import RegistryClient
from job_images.discovery.platforms import parse_platform
from job_images.discovery.run import DiscoverySpec, RepositorySelector, discover
from regscan.common.errors import RegistryError
from tests.bench import servers
from tests.bench.faults import FaultProxy, Rule
from tests.bench.images import OCI_INDEX, Content, Package, build_image, index_for
from tests.bench.pusher import Pusher
from tests.integration.helpers import FAST, TINY, regscan, run


def test_unreachable_host_cli_exit_1() -> None:
    port = servers.free_port()
    out = regscan("discover", "--registry", f"http://127.0.0.1:{port}", "--retries", "1")
    assert out.returncode == 1
    assert f"127.0.0.1:{port}" in out.stderr and "connection refused" in out.stderr


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--tag-filter", "tag +"], "tag-filter"),
        (["--tag-filter", "nope(tag)"], "tag-filter"),
        (["--platform", "linux/amd46"], "platform"),
        (["--registry", "ftp://x"], "registry"),
        (["--repository", "../etc"], "repository"),
        (["--match-operator", "xor"], "match-operator"),
    ],
)
def test_invalid_input_exit_2_before_any_request(args: list[str], option: str) -> None:
    proxy_less = (
        f"http://127.0.0.1:{servers.free_port()}"  # nothing listens: a request would fail with 1
    )
    argv = ["discover", "--registry", proxy_less, *args]
    if "--registry" in args:
        argv = ["discover", *args]
    out = regscan(*argv)
    assert out.returncode == 2, out.stderr
    assert option in out.stderr
    assert len(out.stderr.strip().splitlines()) <= 2


def test_500_twice_then_success(proxy: FaultProxy) -> None:
    rule = proxy.add(Rule(path=r"/tags/list", status=500, times=2))
    result = run(proxy.url, "samples/python")
    assert rule.hits == 2
    assert result.stats.requests["retry"] == 2
    assert [i.repository for i in result.images] == ["samples/python"]


def test_429_honours_retry_after(proxy: FaultProxy) -> None:
    proxy.add(
        Rule(
            path=r"/manifests/stable",
            status=429,
            times=1,
            headers={"Retry-After": "1"},
            method="HEAD",
        )
    )
    slept: list[float] = []
    client = RegistryClient(proxy.url, None, FAST, sleep=slept.append)
    spec = DiscoverySpec(proxy.url, [RepositorySelector("samples/python")], [], None, FAST)
    result = discover(spec, client=client)
    assert slept == [1.0]
    assert result.images[0].tags == ["1.0", "1.0.0", "stable"]


def test_429_without_end_fails_with_status(proxy: FaultProxy) -> None:
    proxy.add(Rule(path=r"/tags/list", status=429, headers={"Retry-After": "0"}))
    with pytest.raises(RegistryError) as err:
        run(proxy.url, "samples/python")
    assert err.value.status == 429


def test_403_and_404_repositories_are_recorded(proxy: FaultProxy) -> None:
    proxy.add(
        Rule(
            path=r"/v2/samples/debian/tags/list",
            status=403,
            body=b'{"errors":[{"code":"DENIED","message":"no"}]}',
        )
    )
    result = run(proxy.url, "samples/debian", "samples/python", "samples/missing")
    errors = {e.repository: e.message for e in result.errors}
    assert "403" in errors["samples/debian"] and "DENIED" in errors["samples/debian"]
    assert "404" in errors["samples/missing"]
    assert {i.repository for i in result.images} == {"samples/python"}
    with pytest.raises(RegistryError, match="404"):
        run(proxy.url, "samples/missing")


def test_malformed_manifest_is_reported_and_run_continues(
    registry: servers.Registry, proxy: FaultProxy
) -> None:
    pusher = Pusher(registry.url)
    bad = pusher.push_image(
        "faulty/app", ["broken"], build_image(Content("alpine", "3.18.4", [Package("zlib", "1")]))
    )
    pusher.push_image("faulty/app", ["good"], build_image(TINY))
    proxy.add(
        Rule(
            path=rf"/v2/faulty/app/manifests/{bad}",
            status=200,
            method="GET",
            body=b"{not json",
            headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
        )
    )
    result = run(proxy.url, "faulty/app")
    assert [i.tags for i in result.images] == [["good"]]
    assert len(result.errors) == 1 and bad in result.errors[0].message
    assert "does not match" in result.errors[0].message or "not JSON" in result.errors[0].message


def test_index_with_only_unknown_children(registry: servers.Registry) -> None:
    pusher = Pusher(registry.url)
    child = build_image(TINY)
    pusher.push_image("odd/attest", [], child)
    body = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {
                    "mediaType": child.media_type,
                    "digest": child.digest,
                    "size": len(child.manifest),
                    "platform": {"os": "unknown", "architecture": "unknown"},
                }
            ],
        }
    ).encode()
    pusher.manifest("odd/attest", "only-attestations", body, OCI_INDEX)
    result = run(registry.url, "odd/attest")
    assert result.images == [] and result.errors == []
    assert result.stats.tags_matched == 1


def test_index_entries_from_untrusted_registry_do_not_crash(registry: servers.Registry) -> None:
    pusher = Pusher(registry.url)
    a = build_image(TINY, "linux/amd64")
    pusher.push_image("odd/weird", [], a)
    doc = json.loads(index_for([a], attestation=False))
    doc["manifests"][0]["platform"] = {
        "os": "plan10",
        "architecture": "quantum",
        "variant": "$(id)",
    }
    pusher.manifest("odd/weird", "v1", json.dumps(doc).encode(), OCI_INDEX)
    result = run(registry.url, "odd/weird")
    assert [i.platform for i in result.images] == ["plan10/quantum/$(id)"]
    filtered = run(registry.url, "odd/weird", platforms=[parse_platform("linux/amd64")])
    assert filtered.images == []
