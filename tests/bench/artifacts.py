"""Non-image artifacts as their tools push them (test bench; builds bytes, no I/O).

Cosign signatures and attestations (tags `sha256-<hex>.sig` / `.att`: an OCI manifest
with an empty-platform image config and a simplesigning / DSSE layer), a Helm chart
(`helm push`: Helm's config and chart layer types) and a BuildKit attestation
manifest (in-toto layers, referenced from an index entry annotated
`vnd.docker.reference.type: attestation-manifest`); and Windows images whose
platforms differ only by `os.version`.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from tests.bench.images import OCI_CONFIG, OCI_INDEX, OCI_MANIFEST, Built, sha256

HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
HELM_CHART = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
COSIGN_SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
DSSE = "application/vnd.dsse.envelope.v1+json"
IN_TOTO = "application/vnd.in-toto+json"


def _manifest(
    config: bytes, config_type: str, layers: list[tuple[bytes, str, dict[str, str]]]
) -> Built:
    body: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": config_type, "digest": sha256(config), "size": len(config)},
        "layers": [
            {"mediaType": mt, "digest": sha256(data), "size": len(data), "annotations": notes}
            for data, mt, notes in layers
        ],
    }
    blobs = {sha256(config): config, **{sha256(data): data for data, _, _ in layers}}
    return Built(json.dumps(body, sort_keys=True).encode(), OCI_MANIFEST, blobs, {})


def _cosign_config(layer: bytes) -> bytes:
    """Cosign's config: an OCI image config with an empty os and architecture."""
    config = {
        "architecture": "",
        "os": "",
        "config": {},
        "created": "0001-01-01T00:00:00Z",
        "history": [{"created": "0001-01-01T00:00:00Z"}],
        "rootfs": {"type": "layers", "diff_ids": [sha256(layer)]},
    }
    return json.dumps(config, sort_keys=True).encode()


def cosign_tag(subject_digest: str, suffix: str) -> str:
    """`sha256-<hex>.sig` / `.att`: where cosign stores a digest's signature/attestation."""
    return subject_digest.replace(":", "-") + "." + suffix


def cosign_signature(subject_digest: str) -> Built:
    payload = json.dumps(
        {
            "critical": {
                "identity": {"docker-reference": "registry.example/app"},
                "image": {"docker-manifest-digest": subject_digest},
                "type": "cosign container image signature",
            },
            "optional": None,
        }
    ).encode()
    notes = {"dev.cosignproject.cosign/signature": "MEUCIQ-test-signature"}
    return _manifest(_cosign_config(payload), OCI_CONFIG, [(payload, COSIGN_SIMPLESIGNING, notes)])


def cosign_attestation(subject_digest: str) -> Built:
    envelope = json.dumps(
        {"payloadType": "application/vnd.in-toto+json", "payload": "e30=", "signatures": []}
    ).encode()
    notes = {"predicateType": "https://slsa.dev/provenance/v0.2"}
    return _manifest(_cosign_config(envelope), OCI_CONFIG, [(envelope, DSSE, notes)])


def helm_chart(name: str = "demo", version: str = "0.1.0") -> Built:
    config = json.dumps({"apiVersion": "v2", "name": name, "version": version}).encode()
    chart = b"\x1f\x8b\x08\x00" + name.encode() + version.encode()  # stand-in chart bytes
    return _manifest(config, HELM_CONFIG, [(chart, HELM_CHART, {})])


def buildkit_attestation(subject_digest: str) -> Built:
    """BuildKit's attestation manifest: unknown/unknown config, in-toto layers."""
    statement = json.dumps(
        {
            "_type": "https://in-toto.io/Statement/v0.1",
            "predicateType": "https://spdx.dev/Document",
            "subject": [{"name": "pkg:docker/app", "digest": {"sha256": subject_digest[7:]}}],
            "predicate": {},
        }
    ).encode()
    config = json.dumps(
        {"architecture": "unknown", "os": "unknown", "config": {}, "rootfs": {"type": "layers"}}
    ).encode()
    notes = {"in-toto.io/predicate-type": "https://spdx.dev/Document"}
    return _manifest(config, OCI_CONFIG, [(statement, IN_TOTO, notes)])


def index_with_attestations(children: list[Built]) -> tuple[bytes, list[Built]]:
    """An OCI index as `docker buildx build --provenance/--sbom` pushes it: each image
    followed by its attestation manifest; returns the index and the attestations."""
    entries: list[dict[str, Any]] = []
    attestations = []
    for child in children:
        att = buildkit_attestation(child.digest)
        attestations.append(att)
        entries.append(
            {
                "mediaType": child.media_type,
                "digest": child.digest,
                "size": len(child.manifest),
                "platform": child.platform,
            }
        )
        entries.append(
            {
                "mediaType": OCI_MANIFEST,
                "digest": att.digest,
                "size": len(att.manifest),
                "platform": {"os": "unknown", "architecture": "unknown"},
                "annotations": {
                    "vnd.docker.reference.type": "attestation-manifest",
                    "vnd.docker.reference.digest": child.digest,
                },
            }
        )
    body = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
    return json.dumps(body, sort_keys=True).encode(), attestations


def with_os_version(built: Built, os_version: str, features: list[str] | None = None) -> Built:
    """The image with `os.version` (and `os.features`) in its platform, as Windows has."""
    platform = {**built.platform, "os.version": os_version}
    if features:
        platform["os.features"] = features  # type: ignore[assignment]
    return replace(built, platform=platform)
