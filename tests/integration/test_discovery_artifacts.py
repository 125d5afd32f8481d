"""Discovery through the real registry of what is not (only) a Linux image: Windows
os.version, cosign signatures/attestations, Helm charts, BuildKit attestations, variants."""

from __future__ import annotations

import json

from job_images.discovery.platforms import parse_platform
from tests.bench import servers
from tests.bench.artifacts import (
    cosign_attestation,
    cosign_signature,
    cosign_tag,
    helm_chart,
    index_with_attestations,
    with_os_version,
)
from tests.bench.images import OCI_INDEX, Content, Package, build_image, index_for
from tests.bench.pusher import Pusher
from tests.integration.helpers import TINY, regscan, run

LTSC2019 = "10.0.17763.5329"
LTSC2022 = "10.0.20348.2227"


def _windows(registry: servers.Registry) -> tuple[str, str]:
    pusher = Pusher(registry.url)
    try:
        a = with_os_version(build_image(TINY, "windows/amd64"), LTSC2019, ["win32k"])
        other = Content("alpine", "3.19.0", [Package("busybox", "1.36.1-r15")])
        b = with_os_version(build_image(other, "windows/amd64"), LTSC2022)
        pusher.push_multiarch("win/servercore", ["ltsc"], [a, b], attestation=False)
        return a.digest, b.digest
    finally:
        pusher.close()


def test_windows_os_version_tells_images_apart(registry: servers.Registry) -> None:
    old, new = _windows(registry)
    result = run(registry.url, "win/servercore")
    by = {i.platform: i for i in result.images}
    assert set(by) == {f"windows/amd64:{LTSC2019}", f"windows/amd64:{LTSC2022}"}
    assert by[f"windows/amd64:{LTSC2019}"].digest == old
    assert by[f"windows/amd64:{LTSC2019}"].os_version == LTSC2019
    assert by[f"windows/amd64:{LTSC2019}"].os_features == ["win32k"]
    assert by[f"windows/amd64:{LTSC2022}"].digest == new
    assert by[f"windows/amd64:{LTSC2022}"].os_features == []
    # the filter keeps one build by prefix; without os.version it keeps both
    only = run(
        registry.url, "win/servercore", platforms=[parse_platform("windows/amd64:10.0.17763")]
    )
    assert [i.digest for i in only.images] == [old]
    both = run(registry.url, "win/servercore", platforms=[parse_platform("windows/amd64")])
    assert {i.digest for i in both.images} == {old, new}


def test_windows_os_version_in_cli_output(registry: servers.Registry) -> None:
    _, new = _windows(registry)
    proc = regscan(
        "discover", "--registry", registry.url, "--repository", "win/servercore",
        "--platform", "windows/amd64:10.0.20348", "-q",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    images = json.loads(proc.stdout)["images"]
    assert [(i["digest"], i["osVersion"]) for i in images] == [(new, LTSC2022)]
    bad = regscan("discover", "--registry", registry.url, "--platform", "windows/amd64:")
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "platform" in bad.stderr


def test_tool_artifacts_are_skipped(registry: servers.Registry) -> None:
    """Cosign .sig/.att tags, a Helm chart and BuildKit attestations, pushed as the
    tools push them, yield no image and no error; the image beside them does."""
    pusher = Pusher(registry.url)
    try:
        amd = build_image(TINY, "linux/amd64")
        arm = build_image(TINY, "linux/arm64")
        body, attestations = index_with_attestations([amd, arm])
        for built in (amd, arm, *attestations):
            pusher.push_image("tools/app", [], built)
        index = pusher.manifest("tools/app", "1.0", body, OCI_INDEX)
        for tag, built in (
            (cosign_tag(index, "sig"), cosign_signature(index)),
            (cosign_tag(index, "att"), cosign_attestation(index)),
        ):
            pusher.push_image("tools/app", [tag], built)
        pusher.push_image("tools/charts/demo", ["0.1.0"], helm_chart())
    finally:
        pusher.close()
    result = run(registry.url, "tools/**")
    assert result.errors == []
    assert [(i.repository, i.platform, i.tags) for i in result.images] == [
        ("tools/app", "linux/amd64", ["1.0"]),
        ("tools/app", "linux/arm64", ["1.0"]),
    ]
    assert {i.digest for i in result.images} == {amd.digest, arm.digest}
    assert result.stats.tags == 4  # 1.0, .sig, .att and the chart's 0.1.0 were listed
    kinds = {d: m.kind for d, m in result.manifests.items()}
    assert sorted(kinds.values()) == ["artifact", "artifact", "artifact", "index"]


def test_platform_without_variant_matches_every_variant(registry: servers.Registry) -> None:
    pusher = Pusher(registry.url)
    try:
        children = [build_image(TINY, p) for p in ("linux/arm/v6", "linux/arm/v7", "linux/arm64")]
        pusher.push_multiarch("variants/app", ["1"], children, docker=True)
        assert index_for(children, docker=True)  # a Docker manifest list, as docker pushes it
    finally:
        pusher.close()
    every = run(registry.url, "variants/app", platforms=[parse_platform("linux/arm")])
    assert sorted(i.platform for i in every.images) == ["linux/arm/v6", "linux/arm/v7"]
    one = run(registry.url, "variants/app", platforms=[parse_platform("linux/arm/v6")])
    assert [i.platform for i in one.images] == ["linux/arm/v6"]
