"""The test bench itself: each real part behaves as the rest of the suite assumes."""

from __future__ import annotations

import json
import ssl
import subprocess
from pathlib import Path

import httpx
import pytest
from minio import Minio
from minio.error import S3Error

from tests.bench import servers
from tests.bench.catalog import DECOYS, PLANTED, SampleCatalog
from tests.bench.faults import FaultProxy
from tests.bench.images import OCI_INDEX, Content, Package, build_image
from tests.bench.pusher import Pusher

TINY = Content("alpine", "3.18.4", [Package("busybox", "1.36.1-r0")])


def test_anonymous_registry_accepts_push_and_lists(registry: servers.Registry) -> None:
    pusher = Pusher(registry.url)
    digest = pusher.push_image("bench/anon", ["v1"], build_image(TINY))
    resp = httpx.get(f"{registry.url}/v2/bench/anon/tags/list", trust_env=False)
    assert resp.json()["tags"] == ["v1"]
    head = httpx.head(
        f"{registry.url}/v2/bench/anon/manifests/v1",
        trust_env=False,
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
    )
    assert head.headers["Docker-Content-Digest"] == digest


def test_basic_auth_registry_refuses_anonymous_push(registry_basic: servers.Registry) -> None:
    anon = Pusher(registry_basic.url)
    with pytest.raises(httpx.HTTPStatusError) as err:
        anon.push_image("bench/basic", ["v1"], build_image(TINY))
    assert err.value.response.status_code == 401
    wrong = Pusher(registry_basic.url, auth=("bench", "wrong"))
    with pytest.raises(httpx.HTTPStatusError):
        wrong.push_image("bench/basic", ["v1"], build_image(TINY))
    good = Pusher(registry_basic.url, auth=registry_basic.auth)
    assert good.push_image("bench/basic", ["v1"], build_image(TINY)).startswith("sha256:")


def test_tls_registry_needs_its_ca_and_credentials(registry_tls: servers.Registry) -> None:
    assert registry_tls.url.startswith("https://") and registry_tls.ca_file
    with pytest.raises(httpx.ConnectError):  # self-signed: system CAs do not trust it
        httpx.get(f"{registry_tls.url}/v2/", trust_env=False, verify=ssl.create_default_context())
    ctx = ssl.create_default_context(cafile=str(registry_tls.ca_file))
    assert httpx.get(f"{registry_tls.url}/v2/", verify=ctx, trust_env=False).status_code == 401
    pusher = Pusher(registry_tls.url, auth=registry_tls.auth, verify=ctx)
    pusher.push_image("bench/tls", ["v1"], build_image(TINY))
    ok = httpx.get(
        f"{registry_tls.url}/v2/bench/tls/tags/list",
        verify=ctx,
        trust_env=False,
        auth=registry_tls.auth,
    )
    assert ok.json()["tags"] == ["v1"]


def test_s3_enforces_keys(s3: servers.S3Server) -> None:
    client = Minio(s3.endpoint, s3.access_key, s3.secret_key, secure=False)
    client.make_bucket("bench-bucket")
    import io

    client.put_object("bench-bucket", "a/b.json", io.BytesIO(b'{"x":1}'), 7)
    assert client.get_object("bench-bucket", "a/b.json").read() == b'{"x":1}'
    wrong = Minio(s3.endpoint, s3.access_key, "not-the-secret", secure=False)
    with pytest.raises(S3Error) as err:
        wrong.get_object("bench-bucket", "a/b.json")
    assert err.value.code in ("SignatureDoesNotMatch", "AccessDenied", "InvalidAccessKeyId")


def test_builder_multiarch_index_has_platforms_and_attestation(
    registry: servers.Registry, samples: SampleCatalog
) -> None:
    resp = httpx.get(
        f"{registry.url}/v2/samples/alpine/manifests/latest",
        trust_env=False,
        headers={"Accept": OCI_INDEX},
    )
    index = resp.json()
    assert resp.headers["Docker-Content-Digest"] == samples.alpine_index
    platforms = [m["platform"] for m in index["manifests"]]
    assert {"os": "linux", "architecture": "arm", "variant": "v7"} in platforms
    assert {"os": "unknown", "architecture": "unknown"} in platforms
    assert set(samples.alpine_children) == {"linux/amd64", "linux/arm64", "linux/arm/v7"}


def test_builder_many_tags_and_pagination(registry: servers.Registry) -> None:
    pusher = Pusher(registry.url)
    built = build_image(TINY)
    pusher.push_image("bench/many", [f"t{i:03d}" for i in range(120)], built)
    full = httpx.get(f"{registry.url}/v2/bench/many/tags/list", trust_env=False)
    assert len(full.json()["tags"]) == 120  # Distribution 2.8 does not paginate tags ...
    proxy = FaultProxy(registry.url, paginate_tags=True)  # ... Harbor, GHCR and v3 do
    try:
        page = httpx.get(f"{proxy.url}/v2/bench/many/tags/list?n=50", trust_env=False)
        assert page.json()["tags"] == [f"t{i:03d}" for i in range(50)]
        assert "last=t049" in page.headers["Link"]
    finally:
        proxy.stop()
    catalog = httpx.get(f"{registry.url}/v2/_catalog?n=1", trust_env=False)
    assert len(catalog.json()["repositories"]) == 1 and 'rel="next"' in catalog.headers["Link"]


def _trivy_ids(trivy: str, sbom: Path, *db_args: str) -> set[str]:
    out = subprocess.run(
        [
            trivy,
            "sbom",
            "--format",
            "json",
            "--quiet",
            "--skip-version-check",
            "--disable-telemetry",
            *db_args,
            str(sbom),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    doc = json.loads(out.stdout)
    return {
        v["VulnerabilityID"] for r in doc.get("Results", []) for v in r.get("Vulnerabilities") or []
    }


def _sbom(trivy: str, ref: str, out: Path) -> Path:
    subprocess.run(
        [
            trivy,
            "image",
            "--image-src",
            "remote",
            "--format",
            "spdx-json",
            "--quiet",
            "-o",
            str(out),
            "--skip-version-check",
            "--disable-telemetry",
            ref,
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out


def test_fixture_db_from_cache_dir_matches_planted_not_decoys(
    registry: servers.Registry,
    samples: SampleCatalog,
    trivy_bin: str,
    trivy_cache: Path,
    tmp_path: Path,
) -> None:
    ref = f"{registry.host}/samples/debian@{samples.debian_children['linux/amd64']}"
    sbom = _sbom(trivy_bin, ref, tmp_path / "debian.spdx.json")
    ids = _trivy_ids(trivy_bin, sbom, "--cache-dir", str(trivy_cache), "--skip-db-update")
    assert {"CVE-2099-2001", "CVE-2099-2002"} <= ids
    assert not ids & set(DECOYS)
    py = _sbom(
        trivy_bin,
        f"{registry.host}/samples/python@{samples.python_digest}",
        tmp_path / "py.spdx.json",
    )
    ids = _trivy_ids(trivy_bin, py, "--cache-dir", str(trivy_cache), "--skip-db-update")
    assert "CVE-2099-3001" in ids and "CVE-2099-9003" not in ids and "CVE-2099-9001" not in ids


def test_fixture_db_from_registry_artifact(
    registry: servers.Registry,
    samples: SampleCatalog,
    trivy_bin: str,
    trivy_db_ref: str,
    tmp_path: Path,
) -> None:
    ref = f"{registry.host}/samples/alpine@{samples.alpine_children['linux/arm64']}"
    sbom = _sbom(trivy_bin, ref, tmp_path / "alpine.spdx.json")
    empty_cache = tmp_path / "cache"
    ids = _trivy_ids(
        trivy_bin, sbom, "--cache-dir", str(empty_cache), "--db-repository", trivy_db_ref
    )
    assert (empty_cache / "db" / "trivy.db").exists()
    expected = {k for k, (kind, _, _) in PLANTED.items() if kind == "alpine"}
    assert ids == expected
