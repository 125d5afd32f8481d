"""Manifest media types and parsing of untrusted manifest bodies (pure)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from job_images.discovery.platforms import Platform, platform_from_json

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
IMAGE_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
IMAGE_CONFIG_TYPES = frozenset(
    {"application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json"}
)
LAYER_PREFIXES = ("application/vnd.oci.image.layer.", "application/vnd.docker.image.rootfs.")
ACCEPT = ", ".join([OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST])
MAX_MANIFEST_BYTES = 4 * 1024 * 1024  # the distribution spec's recommended limit


class MalformedManifest(ValueError):
    """The body is not a manifest we can use; the message says why."""


@dataclass(frozen=True)
class Child:
    digest: str
    media_type: str
    platform: Platform


@dataclass(frozen=True)
class ManifestInfo:
    """What discovery needs from a manifest: an image (config) or an index (children)."""

    digest: str
    media_type: str
    kind: str  # "image" | "index" | "artifact"
    config_digest: str = ""
    children: tuple[Child, ...] = field(default_factory=tuple)


def digest_of(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def valid_digest(value: object) -> bool:
    if not isinstance(value, str):
        return False
    algo, _, hexpart = value.partition(":")
    return algo == "sha256" and len(hexpart) == 64 and all(c in "0123456789abcdef" for c in hexpart)


def parse_manifest(body: bytes, content_type: str = "", expected_digest: str = "") -> ManifestInfo:
    if len(body) > MAX_MANIFEST_BYTES:
        raise MalformedManifest(f"manifest larger than {MAX_MANIFEST_BYTES} bytes")
    digest = digest_of(body)
    if expected_digest and expected_digest != digest:
        raise MalformedManifest(f"body digest {digest} does not match {expected_digest}")
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedManifest(f"not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise MalformedManifest("not a JSON object")
    if doc.get("schemaVersion") != 2:
        raise MalformedManifest(f"unsupported schemaVersion {doc.get('schemaVersion')!r}")
    media_type = doc.get("mediaType") or content_type.split(";")[0].strip()
    if not media_type:
        media_type = OCI_INDEX if "manifests" in doc else OCI_MANIFEST
    if media_type in INDEX_TYPES:
        return ManifestInfo(digest, media_type, "index", children=_children(doc))
    if media_type in IMAGE_TYPES:
        config = doc.get("config")
        if not isinstance(config, dict) or not valid_digest(config.get("digest")):
            raise MalformedManifest("image manifest has no valid config descriptor")
        if not isinstance(doc.get("layers"), list):
            raise MalformedManifest("image manifest has no layers list")
        image_config = config.get("mediaType") in IMAGE_CONFIG_TYPES
        kind = "image" if image_config and _filesystem_layers(doc["layers"]) else "artifact"
        return ManifestInfo(digest, media_type, kind, config_digest=str(config["digest"]))
    raise MalformedManifest(f"unsupported media type {media_type!r}")


def _filesystem_layers(layers: list[Any]) -> bool:
    """Are these an image's filesystem layers? Cosign signatures and attestations and
    BuildKit's in-toto attestations use an image config over non-filesystem layers."""
    return all(
        isinstance(layer, dict) and str(layer.get("mediaType", "")).startswith(LAYER_PREFIXES)
        for layer in layers
    )


def _children(doc: dict[str, Any]) -> tuple[Child, ...]:
    entries = doc.get("manifests")
    if not isinstance(entries, list):
        raise MalformedManifest("index has no manifests list")
    out: list[Child] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not valid_digest(entry.get("digest")):
            raise MalformedManifest(f"index entry {i} has no valid digest")
        media_type = entry.get("mediaType", "")
        platform = platform_from_json(entry.get("platform"))
        annotations = entry.get("annotations") or {}
        if isinstance(annotations, dict) and "vnd.docker.reference.type" in annotations:
            continue  # BuildKit attestation manifest
        if media_type not in IMAGE_TYPES or platform is None or platform.is_unknown:
            continue  # nested index, artifact or attestation: not an image
        out.append(Child(str(entry["digest"]), media_type, platform))
    return tuple(out)


def parse_config_platform(body: bytes) -> Platform | None:
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return platform_from_json(doc)
