"""The standard sample catalog and the advisories planted for it (pure data + pushes).

Shared by tests, benchmarks and `make demo`. Each planted CVE must be found;
each decoy advisory (fixed before the installed version) must not.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.bench.images import Content, Package, build_image
from tests.bench.pusher import Pusher
from tests.bench.trivydb import Advisory, FixtureDB

ALPINE = Content(
    "alpine",
    "3.18.4",
    [
        Package("libcrypto3", "3.1.4-r0", "openssl"),
        Package("busybox", "1.36.1-r0", "busybox"),
        Package("zlib", "1.2.13-r1", "zlib"),
    ],
)
DEBIAN = Content(
    "debian",
    "12",
    [
        Package("libssl3", "3.0.11-1~deb12u1", "openssl"),
        Package("libc6", "2.36-9+deb12u3", "glibc"),
    ],
)
PYTHON = Content(
    "alpine",
    "3.18.4",
    [Package("busybox", "1.36.1-r0", "busybox")],
    python_packages=[Package("requests", "2.19.0"), Package("flask", "2.3.0")],
)

PLANTED = {
    "CVE-2099-1001": ("alpine", "openssl", "HIGH"),
    "CVE-2099-1002": ("alpine", "zlib", "CRITICAL"),
    "CVE-2099-2001": ("debian", "openssl", "CRITICAL"),
    "CVE-2099-2002": ("debian", "glibc", "LOW"),
    "CVE-2099-3001": ("python", "requests", "MEDIUM"),
}
DECOYS = ("CVE-2099-9001", "CVE-2099-9002", "CVE-2099-9003")


def fixture_db() -> FixtureDB:
    pip = "pip::GitHub Security Advisory pip"
    return FixtureDB(
        [
            Advisory("alpine 3.18", "openssl", "CVE-2099-1001", "HIGH", "3.1.5-r0"),
            Advisory("alpine 3.18", "zlib", "CVE-2099-1002", "CRITICAL", "1.2.13-r2"),
            Advisory("alpine 3.18", "busybox", "CVE-2099-9001", "HIGH", "1.30.0-r0"),  # decoy
            Advisory("debian 12", "openssl", "CVE-2099-2001", "CRITICAL", "3.0.13-1~deb12u1"),
            Advisory("debian 12", "glibc", "CVE-2099-2002", "LOW", ""),  # no fix yet
            Advisory(
                "debian 11", "openssl", "CVE-2099-9002", "HIGH", "9.9.9"
            ),  # decoy: other release
            Advisory(
                pip,
                "requests",
                "CVE-2099-3001",
                "MEDIUM",
                vulnerable_versions=("<2.20.0",),
                patched_versions=("2.20.0",),
            ),
            Advisory(
                pip,
                "flask",
                "CVE-2099-9003",
                "HIGH",
                vulnerable_versions=("<2.2.5",),
                patched_versions=("2.2.5",),
            ),  # decoy
        ]
    )


@dataclass
class SampleCatalog:
    """Digests of what `push_samples` pushed, for assertions."""

    alpine_index: str
    alpine_children: dict[str, str]  # platform -> digest
    debian_list: str
    debian_children: dict[str, str]
    python_digest: str


def push_samples(pusher: Pusher) -> SampleCatalog:
    alpine = [build_image(ALPINE, p) for p in ("linux/amd64", "linux/arm64", "linux/arm/v7")]
    a_idx = pusher.push_multiarch("samples/alpine", ["3.18", "3.18.4", "latest"], alpine)
    pusher.push_multiarch("mirror/alpine", ["3.18.4"], alpine)  # same content, other repository
    debian = [build_image(DEBIAN, p, docker=True) for p in ("linux/amd64", "linux/arm64")]
    d_idx = pusher.push_multiarch("samples/debian", ["12", "bookworm"], debian, docker=True)
    py = build_image(PYTHON, "linux/amd64")
    pusher.push_image("samples/python", ["1.0.0", "1.0", "stable"], py)
    return SampleCatalog(
        a_idx,
        {
            "/".join(
                filter(
                    None,
                    (c.platform["os"], c.platform["architecture"], c.platform.get("variant", "")),
                )
            ): c.digest
            for c in alpine
        },
        d_idx,
        {f"linux/{c.platform['architecture']}": c.digest for c in debian},
        py.digest,
    )
