"""A registry that looks like a real one, for benchmarks/scan.py (does network I/O: pushes).

- `repos` repositories on two base images (Alpine 3.18, Debian 12), each base one layer
  of about `base_mb` MB per platform with a real package database, shared by every
  repository built on it;
- per repository two releases, each a two-platform index (linux/amd64, linux/arm64) of
  the base plus 1-3 own layers of `own_mb` MB each (the newer release shares the older
  one's lower layers, as rebuilds do), the top layer holding Python packages;
- release tags alias as real ones do: `1.4.2`, `1.4`, `1`, `latest` on the newer index,
  `1.3.0`, `1.3` on the older (3 tags per index on average).

Layer content is generated text (compressible about 3x, like binaries and docs); the
package databases are what Trivy reads (apk `installed`, dpkg `status`, dist-info).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import time
import zlib
from dataclasses import dataclass, field

from tests.bench.images import Content, Layer, Package, arch_name, build_image, layer_files
from tests.bench.pusher import Pusher
from tests.bench.trivydb import Advisory, FixtureDB

PLATFORMS = ("linux/amd64", "linux/arm64")
BASES = {"alpine": "3.18.4", "debian": "12"}
_WORDS = 6000


@dataclass(frozen=True)
class Shape:
    repos: int = 50
    base_mb: float = 30.0
    own_mb: tuple[float, float] = (1.0, 20.0)
    os_packages: int = 120
    py_pool: int = 300
    py_per_image: int = 15
    seed: int = 7


@dataclass
class Floor:
    compressed: int = 0
    uncompressed: int = 0
    seconds: float = 0.0

    def add(self, blob: bytes) -> None:
        if blob[:2] != b"\x1f\x8b":  # configs and manifests: not layers
            return
        start = time.process_time()
        raw = zlib.decompress(blob, 31)
        hashlib.sha256(blob).digest()
        hashlib.sha256(raw).digest()
        self.seconds += time.process_time() - start
        self.compressed += len(blob)
        self.uncompressed += len(raw)


@dataclass
class Registry:
    """What was pushed: tags (repo:tag), and which packages each platform digest holds."""

    tags: list[str] = field(default_factory=list)
    packages: dict[str, set[tuple[str, str]]] = field(default_factory=dict)  # digest -> pkgs
    indexes: int = 0
    bytes: int = 0
    # The physical floor of any scanner that reads the layers: per platform, the gzip
    # layers' compressed and uncompressed MiB and the CPU seconds zlib (C) needs to inflate
    # and SHA-256 them once (each unique layer counted once, with the first platform using it).
    floor: dict[str, Floor] = field(default_factory=dict)

    @property
    def digests(self) -> int:
        return len(self.packages)


class _Text:
    """Slices of one generated text: distinct, compressible file contents, made fast."""

    def __init__(self, rng: random.Random) -> None:
        words = ["".join(rng.choices("etaoinshrdlucmfwypvbgkqjxz", k=rng.randint(2, 9)))
                 for _ in range(_WORDS)]  # fmt: skip
        self.block = " ".join(rng.choices(words, k=900_000)).encode()  # ~5 MB
        self.rng = rng

    def files(self, prefix: str, mb: float) -> dict[str, bytes]:
        out, left, n = {}, int(mb * 2**20), 0
        while left > 0:
            size = min(left, 2**20)
            start = self.rng.randrange(0, len(self.block) - size)
            out[f"{prefix}/f{n:04d}.txt"] = (
                f"{prefix} {n}\n".encode() + self.block[start : start + size]
            )
            left -= size
            n += 1
        return out


def os_pool(distro: str, n: int) -> list[Package]:
    fmt = "{v}.{m}-r0" if distro == "alpine" else "{v}.{m}-1"
    return [Package(f"{distro[:3]}lib{i:03d}", fmt.format(v=1 + i % 4, m=i % 10)) for i in range(n)]


def py_pool(n: int) -> list[Package]:
    return [Package(f"pylib{i:03d}", f"{1 + i % 3}.{i % 10}.0") for i in range(n)]


def _base(text: _Text, distro: str, platform: str, shape: Shape) -> Layer:
    content = Content(distro, BASES[distro], os_pool(distro, shape.os_packages))
    files = {**layer_files(content, arch_name(platform)),
             **text.files(f"usr/share/{distro}-base", shape.base_mb)}  # fmt: skip
    return Layer.of(files, level=1)


def populate(url: str, shape: Shape) -> Registry:
    rng = random.Random(shape.seed)
    text = _Text(rng)
    bases = {(d, p): _base(text, d, p, shape) for d in BASES for p in PLATFORMS}
    pyp = py_pool(shape.py_pool)
    out = Registry()
    seen: set[str] = set()
    pusher = Pusher(url)
    try:
        for r in range(shape.repos):
            distro = ("alpine", "debian")[r % 2]
            repo = f"team{r % 5}/app{r:02d}"
            sizes = [rng.uniform(*shape.own_mb) for _ in range(rng.randint(1, 3))]
            lower = {  # shared by both releases: only the top layer is rebuilt
                p: tuple(Layer.of(text.files(f"opt/{repo}/l{i}-{p}", mb), level=1)
                         for i, mb in enumerate(sizes[:-1]))
                for p in PLATFORMS
            }  # fmt: skip
            chosen = rng.sample(pyp, shape.py_per_image)
            os_pkgs = {(distro, p.name) for p in os_pool(distro, shape.os_packages)}
            for release, tags in ((0, ["1.3.0", "1.3"]), (1, ["1.4.2", "1.4", "1", "latest"])):
                py = [Package(p.name, p.version if release else p.version.replace(".0", ".1", 1))
                      for p in chosen]  # fmt: skip
                kids = []
                for platform in PLATFORMS:
                    extra = text.files(f"opt/{repo}/top{release}-{platform}", sizes[-1])
                    top = Content("none", python_packages=py, extra=extra)
                    built = build_image(
                        top, platform, under=(bases[(distro, platform)], *lower[platform])
                    )
                    kids.append(built)
                    out.packages[built.digest] = os_pkgs | {("pip", p.name) for p in py}
                    for digest, blob in built.blobs.items():
                        if digest not in seen:
                            seen.add(digest)
                            out.bytes += len(blob)
                            out.floor.setdefault(platform, Floor()).add(blob)
                pusher.push_multiarch(repo, tags, kids)
                out.indexes += 1
                out.tags += [f"{repo}:{t}" for t in tags]
    finally:
        pusher.close()
    return out


BUCKETS = {
    "alpine": "alpine 3.18",
    "debian": "debian 12",
    "pip": "pip::GitHub Security Advisory pip",
}


def _advisory(eco: str, name: str, vuln_id: str, severity: str) -> Advisory:
    if eco == "pip":
        return Advisory(BUCKETS[eco], name, vuln_id, severity,
                        vulnerable_versions=("<9.0.0",), patched_versions=("9.0.0",))  # fmt: skip
    fixed = "9.9.9-r0" if eco == "alpine" else "9.9.9-1"
    return Advisory(BUCKETS[eco], name, vuln_id, severity, fixed)


def vulnerability_db(shape: Shape) -> FixtureDB:
    """Every 10th package of each pool has one advisory (all installed versions affected)."""
    advisories = []
    pools = [(d, os_pool(d, shape.os_packages)) for d in BASES] + [("pip", py_pool(shape.py_pool))]
    for eco, pool in pools:
        for i, pkg in enumerate(pool[::10]):
            advisories.append(_advisory(eco, pkg.name, f"CVE-2030-{eco[:1]}{i:04d}", "HIGH"))
    return FixtureDB(advisories, dt.datetime(2026, 11, 1, tzinfo=dt.UTC))


def touch(db: FixtureDB, reg: Registry, share: float) -> tuple[FixtureDB, int]:
    """A DB update adding an advisory to `share` of the packages in use; (new DB, the
    number of digests holding one of them)."""
    in_use = sorted(set().union(*reg.packages.values()))
    picked = random.Random(11).sample(in_use, max(1, round(len(in_use) * share)))
    new = [
        _advisory(eco, name, f"CVE-2031-{i:04d}", "CRITICAL")
        for i, (eco, name) in enumerate(picked)
    ]
    affected = sum(1 for pkgs in reg.packages.values() if pkgs.intersection(picked))
    return FixtureDB([*db.advisories, *new], db.updated_at + dt.timedelta(days=1)), affected
