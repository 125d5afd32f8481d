from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest

from job_images.credentials import Credentials, credentials_from_dockerconfig
from job_images.discovery.auth import parse_challenge
from job_images.discovery.manifests import (
    DOCKER_LIST,
    OCI_INDEX,
    OCI_MANIFEST,
    MalformedManifest,
    digest_of,
    parse_manifest,
)
from job_images.docker_config import write_docker_config
from regscan.common.errors import InvalidInput

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64


def _index(entries: list[dict[str, object]], media_type: str = OCI_INDEX) -> bytes:
    return json.dumps({"schemaVersion": 2, "mediaType": media_type, "manifests": entries}).encode()


def test_index_children_skip_attestations_and_non_images() -> None:
    body = _index(
        [
            {
                "mediaType": OCI_MANIFEST,
                "digest": D1,
                "platform": {"os": "linux", "architecture": "amd64"},
            },
            {
                "mediaType": OCI_MANIFEST,
                "digest": D2,
                "platform": {"os": "unknown", "architecture": "unknown"},
            },
            {
                "mediaType": OCI_MANIFEST,
                "digest": D2,
                "platform": {"os": "linux", "architecture": "arm64"},
                "annotations": {"vnd.docker.reference.type": "attestation-manifest"},
            },
            {
                "mediaType": OCI_INDEX,
                "digest": D2,
                "platform": {"os": "linux", "architecture": "s390x"},
            },
            {"mediaType": OCI_MANIFEST, "digest": D2},  # no platform
        ]
    )
    info = parse_manifest(body)
    assert info.kind == "index"
    assert [(c.digest, str(c.platform)) for c in info.children] == [(D1, "linux/amd64")]


def test_index_of_only_unknown_children_has_no_images() -> None:
    body = _index(
        [
            {
                "mediaType": OCI_MANIFEST,
                "digest": D1,
                "platform": {"os": "unknown", "architecture": "unknown"},
            }
        ],
        DOCKER_LIST,
    )
    assert parse_manifest(body).children == ()


def test_image_and_artifact() -> None:
    image = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "layers": [],
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": D1},
    }
    assert parse_manifest(json.dumps(image).encode()).kind == "image"
    image["config"] = {"mediaType": "application/vnd.aquasec.trivy.config.v1+json", "digest": D1}
    assert parse_manifest(json.dumps(image).encode()).kind == "artifact"


@pytest.mark.parametrize(
    ("layer_types", "kind"),
    [
        (["application/vnd.oci.image.layer.v1.tar+gzip"], "image"),
        (["application/vnd.oci.image.layer.v1.tar+zstd"], "image"),
        (["application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"], "image"),
        (["application/vnd.docker.image.rootfs.diff.tar.gzip"], "image"),
        (["application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"], "image"),
        (["application/vnd.dev.cosign.simplesigning.v1+json"], "artifact"),  # cosign .sig
        (["application/vnd.dsse.envelope.v1+json"], "artifact"),  # cosign .att
        (["application/vnd.in-toto+json"], "artifact"),  # BuildKit attestation
        (
            ["application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.in-toto+json"],
            "artifact",
        ),
    ],
)
def test_image_config_over_non_filesystem_layers_is_an_artifact(
    layer_types: list[str], kind: str
) -> None:
    doc = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "layers": [{"mediaType": t, "digest": D1, "size": 1} for t in layer_types],
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": D1},
    }
    assert parse_manifest(json.dumps(doc).encode()).kind == kind


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"schemaVersion": 1}', "schemaVersion"),
        (b'{"schemaVersion": 2, "mediaType": "text/plain"}', "unsupported media type"),
        (
            json.dumps(
                {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [{"digest": "x"}]}
            ).encode(),
            "no valid digest",
        ),
        (
            json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": {}}).encode(),
            "config descriptor",
        ),
        (b"\xff\xfe", "not JSON"),
    ],
)
def test_malformed(body: bytes, fragment: str) -> None:
    with pytest.raises(MalformedManifest, match=fragment):
        parse_manifest(body)


def test_digest_mismatch_is_rejected() -> None:
    body = _index([])
    assert parse_manifest(body, expected_digest=digest_of(body)).kind == "index"
    with pytest.raises(MalformedManifest, match="does not match"):
        parse_manifest(body, expected_digest=D1)


@pytest.mark.parametrize(
    ("header", "scheme", "params"),
    [
        (
            'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
            "bearer",
            {
                "realm": "https://auth.docker.io/token",
                "service": "registry.docker.io",
                "scope": "repository:library/alpine:pull",
            },
        ),
        ('Basic realm="Registry Realm"', "basic", {"realm": "Registry Realm"}),
        ("Bearer realm=https://x/t,service=s", "bearer", {"realm": "https://x/t", "service": "s"}),
    ],
)
def test_parse_challenge(header: str, scheme: str, params: dict[str, str]) -> None:
    challenge = parse_challenge(header)
    assert challenge is not None
    assert (challenge.scheme, challenge.params) == (scheme, params)


def test_dockerconfig_lookup() -> None:
    auth = base64.b64encode(b"alice:s3cret").decode()
    doc = {
        "auths": {
            "https://reg.example.com:5000/v1/": {"auth": auth},
            "other.example.com": {"username": "bob", "password": "pw"},
        }
    }
    assert credentials_from_dockerconfig(doc, "reg.example.com:5000") == Credentials(
        "alice", "s3cret"
    )
    assert credentials_from_dockerconfig(doc, "other.example.com") == Credentials("bob", "pw")
    assert credentials_from_dockerconfig(doc, "nowhere.example.com") is None
    with pytest.raises(InvalidInput, match="base64"):
        credentials_from_dockerconfig({"auths": {"h": {"auth": "%%%"}}}, "h")
    with pytest.raises(InvalidInput, match="auths"):
        credentials_from_dockerconfig({"auths": []}, "h")


def test_credentials_repr_hides_password(tmp_path: Path) -> None:
    creds = Credentials("alice", "s3cret")
    assert "s3cret" not in repr(creds)
    file = write_docker_config(tmp_path / "cfg", "reg:5000", creds)
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert credentials_from_dockerconfig(json.loads(file.read_text()), "reg:5000") == creds


def test_a_bearer_token_goes_to_trivy_as_registrytoken(tmp_path: Path) -> None:
    creds = Credentials.bearer("eyJ.tok.sig")
    assert "eyJ" not in repr(creds) and creds.secret == "eyJ.tok.sig"
    file = write_docker_config(tmp_path / "cfg", "reg:5000", creds)
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    # go-containerregistry's authn.AuthConfig.RegistryToken: sent as Bearer as is
    assert json.loads(file.read_text()) == {"auths": {"reg:5000": {"registrytoken": "eyJ.tok.sig"}}}
