"""Build OCI/Docker images in memory (pure; `pusher.py` pushes them through the registry
API). Content is what Trivy recognises: Alpine (apk db), Debian (dpkg status) and Python
(dist-info METADATA), with package versions that the fixture DB plants CVEs for.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field
from typing import Any

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    origin: str = ""  # apk origin / dpkg Source


@dataclass
class Content:
    """Files of one image layer, by distro kind."""

    distro: str  # "alpine" | "debian" | "none"
    distro_version: str = ""
    packages: list[Package] = field(default_factory=list)
    python_packages: list[Package] = field(default_factory=list)
    extra: dict[str, bytes] = field(default_factory=dict)


def _os_release(distro: str, version: str) -> bytes:
    if distro == "alpine":
        return f'NAME="Alpine Linux"\nID=alpine\nVERSION_ID={version}\n'.encode()
    return (
        f'PRETTY_NAME="Debian GNU/Linux {version}"\nNAME="Debian GNU/Linux"\n'
        f'VERSION_ID="{version}"\nID=debian\n'
    ).encode()


def _apk_installed(pkgs: list[Package], arch: str) -> bytes:
    out = []
    for p in pkgs:
        digest = hashlib.sha1(f"{p.name}-{p.version}".encode()).digest()
        import base64

        out.append(
            f"C:Q1{base64.b64encode(digest).decode()}\nP:{p.name}\nV:{p.version}\nA:{arch}\n"
            f"S:1000\nI:2000\nT:{p.name}\nL:MIT\no:{p.origin or p.name}\n\n"
        )
    return "".join(out).encode()


def _dpkg_status(pkgs: list[Package], arch: str) -> bytes:
    out = []
    for p in pkgs:
        src = f"Source: {p.origin}\n" if p.origin else ""
        out.append(
            f"Package: {p.name}\nStatus: install ok installed\nPriority: optional\n"
            f"Architecture: {arch}\n{src}Version: {p.version}\nDescription: fixture\n\n"
        )
    return "".join(out).encode()


def layer_files(content: Content, arch: str) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    if content.distro == "alpine":
        files["etc/os-release"] = _os_release("alpine", content.distro_version)
        files["lib/apk/db/installed"] = _apk_installed(content.packages, arch)
    elif content.distro == "debian":
        files["etc/os-release"] = _os_release("debian", content.distro_version)
        files["etc/debian_version"] = f"{content.distro_version}.4\n".encode()
        files["var/lib/dpkg/status"] = _dpkg_status(content.packages, arch)
    for p in content.python_packages:
        base = f"usr/lib/python3/site-packages/{p.name}-{p.version}.dist-info"
        files[f"{base}/METADATA"] = (
            f"Metadata-Version: 2.1\nName: {p.name}\nVersion: {p.version}\n"
        ).encode()
    files.update(content.extra)
    return files


def make_tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size = len(files[name])
            info.mtime = 0
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(files[name]))
    return buf.getvalue()


@dataclass
class Built:
    """A built single-platform image: blobs by digest and its manifest bytes."""

    manifest: bytes
    media_type: str
    blobs: dict[str, bytes]
    platform: dict[str, str]

    @property
    def digest(self) -> str:
        return sha256(self.manifest)


@dataclass(frozen=True)
class Layer:
    """A built layer: its diff id (digest of the tar) and the gzip blob."""

    diff_id: str
    blob: bytes

    @classmethod
    def of(cls, files: dict[str, bytes], level: int = 9) -> Layer:
        raw = make_tar(files)
        return cls(sha256(raw), gzip.compress(raw, compresslevel=level, mtime=0))


def arch_name(platform: str) -> str:
    """The package-database architecture of `os/arch[/variant]` (apk/dpkg spelling)."""
    arch = platform.split("/")[1]
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(arch, arch)


def build_image(
    content: Content,
    platform: str = "linux/amd64",
    docker: bool = False,
    under: tuple[Layer, ...] = (),
) -> Built:
    """One platform image: the layers `under` (base first), then one layer of `content`."""
    parts = platform.split("/")
    plat = {"os": parts[0], "architecture": parts[1]}
    if len(parts) > 2:
        plat["variant"] = parts[2]
    top = Layer.of(layer_files(content, arch_name(platform)))
    layers = [*under, top]
    config: dict[str, Any] = {
        **plat,
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [lay.diff_id for lay in layers]},
        "history": [{"created_by": "regscan test bench"} for _ in layers],
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST if docker else OCI_MANIFEST,
        "config": {
            "mediaType": DOCKER_CONFIG if docker else OCI_CONFIG,
            "digest": sha256(config_bytes),
            "size": len(config_bytes),
        },
        "layers": [
            {
                "mediaType": DOCKER_LAYER if docker else OCI_LAYER,
                "digest": sha256(lay.blob),
                "size": len(lay.blob),
            }
            for lay in layers
        ],
    }
    body = json.dumps(manifest, sort_keys=True).encode()
    blobs = {sha256(config_bytes): config_bytes, **{sha256(lay.blob): lay.blob for lay in layers}}
    return Built(body, manifest["mediaType"], blobs, plat)


def index_for(children: list[Built], docker: bool = False, attestation: bool = True) -> bytes:
    """OCI index / Docker list over `children`, plus a BuildKit-style attestation entry."""
    manifests: list[dict[str, Any]] = [
        {
            "mediaType": c.media_type,
            "digest": c.digest,
            "size": len(c.manifest),
            "platform": c.platform,
        }
        for c in children
    ]
    if attestation and not docker:
        manifests.append(
            {
                "mediaType": OCI_MANIFEST,
                "digest": children[0].digest,
                "size": len(children[0].manifest),
                "platform": {"os": "unknown", "architecture": "unknown"},
                "annotations": {
                    "vnd.docker.reference.type": "attestation-manifest",
                    "vnd.docker.reference.digest": children[0].digest,
                },
            }
        )
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": DOCKER_LIST if docker else OCI_INDEX,
            "manifests": manifests,
        },
        sort_keys=True,
    ).encode()
