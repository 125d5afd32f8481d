"""Push blobs, images, indexes and Trivy DB artifacts through a registry's HTTP API, as a
client would (does network I/O; no docker). Images are built by `images.py`."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.bench.images import DOCKER_LIST, OCI_INDEX, OCI_MANIFEST, Built, index_for, sha256


class Pusher:
    """Pushes blobs and manifests to a registry over its HTTP API."""

    def __init__(self, base_url: str, auth: tuple[str, str] | None = None, verify: Any = True):
        self.base = base_url.rstrip("/")
        self.client = httpx.Client(auth=auth, verify=verify, timeout=30, trust_env=False)
        self._have: set[tuple[str, str]] = set()
        self._where: dict[str, str] = {}  # blob digest -> a repository that has it

    def close(self) -> None:
        self.client.close()

    def blob(self, repo: str, data: bytes) -> str:
        digest = sha256(data)
        if (repo, digest) in self._have:
            return digest
        head = self.client.head(f"{self.base}/v2/{repo}/blobs/{digest}")
        if head.status_code != 200 and digest in self._where:  # cross-repository mount
            mount = self.client.post(
                f"{self.base}/v2/{repo}/blobs/uploads/",
                params={"mount": digest, "from": self._where[digest]},
            )
            if mount.status_code == 201:
                self._have.add((repo, digest))
                return digest
        if head.status_code != 200:
            start = self.client.post(f"{self.base}/v2/{repo}/blobs/uploads/")
            start.raise_for_status()
            loc = start.headers["Location"]
            if loc.startswith("/"):
                loc = self.base + loc
            sep = "&" if "?" in loc else "?"
            put = self.client.put(
                f"{loc}{sep}digest={digest}",
                content=data,
                headers={"Content-Type": "application/octet-stream"},
            )
            put.raise_for_status()
        self._have.add((repo, digest))
        self._where.setdefault(digest, repo)
        return digest

    def manifest(self, repo: str, ref: str, body: bytes, media_type: str) -> str:
        resp = self.client.put(
            f"{self.base}/v2/{repo}/manifests/{ref}",
            content=body,
            headers={"Content-Type": media_type},
        )
        resp.raise_for_status()
        return sha256(body)

    def push_image(self, repo: str, tags: list[str], built: Built) -> str:
        for data in built.blobs.values():
            self.blob(repo, data)
        for tag in tags or [built.digest]:
            self.manifest(repo, tag, built.manifest, built.media_type)
        return built.digest

    def push_multiarch(
        self,
        repo: str,
        tags: list[str],
        children: list[Built],
        docker: bool = False,
        attestation: bool = True,
    ) -> str:
        for c in children:
            self.push_image(repo, [], c)
        body = index_for(children, docker=docker, attestation=attestation)
        for tag in tags:
            self.manifest(repo, tag, body, DOCKER_LIST if docker else OCI_INDEX)
        return sha256(body)

    def push_trivy_db(self, repo: str, layer: bytes, tag: str = "2") -> str:
        config = b"{}"
        self.blob(repo, config)
        self.blob(repo, layer)
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.aquasec.trivy.config.v1+json",
                "digest": sha256(config),
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.aquasec.trivy.db.layer.v1.tar+gzip",
                    "digest": sha256(layer),
                    "size": len(layer),
                    "annotations": {"org.opencontainers.image.title": "db.tar.gz"},
                }
            ],
        }
        return self.manifest(repo, tag, json.dumps(manifest).encode(), OCI_MANIFEST)
