"""An in-memory registry implementing `RegistryApi`, for fast tests of the discovery run.

No HTTP: manifests and config blobs are real JSON bodies addressed by their sha256,
so the run's parsing and digest checks see what a registry would serve. Every call
is counted by kind like the HTTP client counts requests; a lock makes it thread-safe.
"""

from __future__ import annotations

import json
import threading
from collections import Counter

from job_images.discovery.api import MAX_BLOB_BYTES
from job_images.discovery.manifests import OCI_INDEX, OCI_MANIFEST, digest_of
from regscan.common.errors import RegistryError

CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
ARTIFACT_CONFIG_TYPE = "application/vnd.example.artifact.config.v1+json"


class FakeRegistry:
    """Repositories of tags pointing at content-addressed manifests."""

    def __init__(self, host: str = "fake.example:5000") -> None:
        self.host = host
        self.repos: dict[str, dict[str, str]] = {}  # repository -> tag -> digest
        self.extra_catalog: list[str] = []  # names listed but not servable
        self.manifests: dict[str, tuple[bytes, str]] = {}  # digest -> (body, media type)
        self.blobs: dict[str, bytes] = {}
        self.refuse_tags: dict[str, int] = {}  # repository -> HTTP status of its tags list
        self.send_digest = True  # HEAD answers with Docker-Content-Digest
        self.closed = False
        self.calls: list[tuple[str, str, str]] = []  # (kind, repository, reference)
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    # ---- building content ----------------------------------------------------
    def image(
        self, repository: str, tags: list[str], platform: str = "linux/amd64", salt: str = ""
    ) -> str:
        """A single-arch image (manifest + config blob) tagged in `repository`."""
        digest = self._store_image(platform, salt)
        self.tag(repository, tags, digest)
        return digest

    def index(
        self, repository: str, tags: list[str], platforms: list[str], salt: str = ""
    ) -> tuple[str, dict[str, str]]:
        """A multi-arch index over one image per platform: (index digest, platform -> child)."""
        children = {p: self._store_image(p, salt) for p in platforms}
        entries = [
            {
                "mediaType": OCI_MANIFEST,
                "digest": d,
                "size": len(self.manifests[d][0]),
                "platform": _platform_json(p),
            }
            for p, d in children.items()
        ]
        doc = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
        digest = self.put_manifest(json.dumps(doc).encode(), OCI_INDEX)
        self.tag(repository, tags, digest)
        return digest, children

    def artifact(self, repository: str, tags: list[str]) -> str:
        config = self.put_blob(b"{}")
        doc = _manifest_doc(config, ARTIFACT_CONFIG_TYPE)
        digest = self.put_manifest(json.dumps(doc).encode(), OCI_MANIFEST)
        self.tag(repository, tags, digest)
        return digest

    def put_manifest(self, body: bytes, media_type: str = OCI_MANIFEST) -> str:
        digest = digest_of(body)
        self.manifests[digest] = (body, media_type)
        return digest

    def put_blob(self, body: bytes) -> str:
        digest = digest_of(body)
        self.blobs[digest] = body
        return digest

    def tag(self, repository: str, tags: list[str], digest: str) -> None:
        repo = self.repos.setdefault(repository, {})
        for tag in tags:
            repo[tag] = digest

    def fresh(self) -> FakeRegistry:
        """The same content behind new request counters (a later run's client)."""
        other = FakeRegistry(self.host)
        other.repos, other.manifests, other.blobs = self.repos, self.manifests, self.blobs
        return other

    def count(self, kind: str) -> int:
        with self._lock:
            return self._counts[kind]

    def _store_image(self, platform: str, salt: str) -> str:
        config = json.dumps({**_platform_json(platform), "salt": salt}).encode()
        doc = _manifest_doc(self.put_blob(config), CONFIG_TYPE)
        return self.put_manifest(json.dumps(doc).encode(), OCI_MANIFEST)

    # ---- RegistryApi ---------------------------------------------------------
    def ping(self) -> None:
        self._record("ping", "", "")

    def catalog(self) -> list[str]:
        self._record("catalog", "", "")
        return sorted(self.repos) + self.extra_catalog

    def tags(self, repository: str) -> list[str]:
        self._record("tags", repository, "")
        if repository in self.refuse_tags:
            status = self.refuse_tags[repository]
            raise RegistryError(self.host, f"GET /v2/{repository}/tags/list: refused", status)
        if repository not in self.repos:
            raise RegistryError(self.host, f"GET /v2/{repository}/tags/list: not found", 404)
        return list(self.repos[repository])

    def head_manifest(self, repository: str, reference: str) -> tuple[str, str]:
        self._record("head", repository, reference)
        digest = self._resolve(repository, reference)
        return (digest if self.send_digest else ""), self.manifests[digest][1]

    def get_manifest(self, repository: str, reference: str) -> tuple[bytes, str]:
        self._record("get", repository, reference)
        return self.manifests[self._resolve(repository, reference)]

    def get_blob(self, repository: str, digest: str, max_bytes: int = MAX_BLOB_BYTES) -> bytes:
        self._record("blob", repository, digest)
        if digest not in self.blobs:
            raise RegistryError(self.host, f"blob {repository}@{digest}: not found", 404)
        return self.blobs[digest]

    def request_counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def close(self) -> None:
        self.closed = True

    # ---- internals -----------------------------------------------------------
    def _record(self, kind: str, repository: str, reference: str) -> None:
        with self._lock:
            self._counts[kind] += 1
            self.calls.append((kind, repository, reference))

    def _resolve(self, repository: str, reference: str) -> str:
        tags = self.repos.get(repository, {})
        digest = reference if reference.startswith("sha256:") else tags.get(reference, "")
        if digest not in self.manifests:
            raise RegistryError(self.host, f"manifest {repository}:{reference}: not found", 404)
        return digest


def _platform_json(platform: str) -> dict[str, str]:
    os_name, arch, *variant = platform.split("/")
    out = {"os": os_name, "architecture": arch}
    if variant:
        out["variant"] = variant[0]
    return out


def _manifest_doc(config_digest: str, config_type: str) -> dict[str, object]:
    return {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": config_type, "digest": config_digest, "size": 2},
        "layers": [],
    }
