"""Build a small Trivy vulnerability DB (bbolt file + metadata.json) for tests.

Does file I/O only. The public DB cannot be downloaded here, so tests plant
advisories that must match and decoys that must not. Layout follows
aquasecurity/trivy-db (see shared/reference/components.md).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import struct
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from boltdb import BoltDB

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3


@dataclass(frozen=True)
class Advisory:
    """One planted advisory: bucket (e.g. 'alpine 3.18'), package, CVE and fix."""

    bucket: str
    package: str
    vuln_id: str
    severity: str
    fixed_version: str = ""
    vulnerable_versions: tuple[str, ...] = ()
    patched_versions: tuple[str, ...] = ()
    title: str = ""


@dataclass
class FixtureDB:
    advisories: list[Advisory] = field(default_factory=list)
    updated_at: dt.datetime = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def _fnv1a64(data: bytes) -> int:
    h = FNV_OFFSET
    for b in data:
        h ^= b
        h = (h * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return h


def fix_meta_checksums(path: Path) -> None:
    """Write the bbolt meta-page checksums that PyPI `boltdb` leaves as zero."""
    raw = bytearray(path.read_bytes())
    # meta struct at page offset 16: magic u32, version u32, pageSize u32 ...
    page_size = struct.unpack_from("<I", raw, 16 + 8)[0]
    for page in (0, 1):
        off = page * page_size + 16
        checksum = _fnv1a64(bytes(raw[off : off + 56]))
        struct.pack_into("<Q", raw, off + 56, checksum)
    path.write_bytes(bytes(raw))


def _advisory_value(adv: Advisory) -> bytes:
    if "::" in adv.bucket:
        value: dict[str, object] = {
            "PatchedVersions": list(adv.patched_versions),
            "VulnerableVersions": list(adv.vulnerable_versions),
        }
    else:
        value = {"FixedVersion": adv.fixed_version}
    return json.dumps(value).encode()


def _vuln_value(adv: Advisory) -> bytes:
    score = {"CRITICAL": 9.8, "HIGH": 7.5, "MEDIUM": 5.3, "LOW": 2.1}.get(adv.severity, 0.0)
    return json.dumps(
        {
            "Title": adv.title or f"{adv.package}: planted fixture advisory",
            "Description": f"Fixture advisory {adv.vuln_id} for {adv.package}.",
            "Severity": adv.severity,
            "CVSS": {"nvd": {"V3Score": score}},
            "References": [f"https://example.invalid/{adv.vuln_id}"],
            "PublishedDate": "2024-01-01T00:00:00Z",
        }
    ).encode()


def write_db(db: FixtureDB, cache_dir: Path) -> Path:
    """Write `<cache_dir>/db/trivy.db` and `metadata.json`; return the db dir."""
    db_dir = cache_dir / "db"
    db_dir.mkdir(parents=True, exist_ok=True)
    path = db_dir / "trivy.db"
    path.unlink(missing_ok=True)
    bolt = BoltDB(str(path))
    with bolt.update() as tx:
        vulns = tx.create_bucket(b"vulnerability")
        sources = tx.create_bucket(b"data-source")
        by_bucket: dict[str, list[Advisory]] = {}
        for adv in db.advisories:
            by_bucket.setdefault(adv.bucket, []).append(adv)
        for bucket_name, advs in sorted(by_bucket.items()):
            top = tx.create_bucket(bucket_name.encode())
            family = bucket_name.split("::")[0].split(" ")[0]
            sources.put(
                bucket_name.encode(),
                json.dumps({"ID": family, "Name": f"fixture {family}", "URL": ""}).encode(),
            )
            pkgs: dict[str, object] = {}
            for adv in advs:
                pkg = pkgs.get(adv.package)
                if pkg is None:
                    pkg = top.create_bucket(adv.package.encode())
                    pkgs[adv.package] = pkg
                pkg.put(adv.vuln_id.encode(), _advisory_value(adv))  # type: ignore[attr-defined]
                vulns.put(adv.vuln_id.encode(), _vuln_value(adv))
    bolt.close()
    bolt.close = lambda: None  # type: ignore[method-assign]  # its __del__ closes again
    fix_meta_checksums(path)
    stamp = db.updated_at
    meta = {
        "Version": 2,
        "NextUpdate": (stamp + dt.timedelta(days=3650)).isoformat().replace("+00:00", "Z"),
        "UpdatedAt": stamp.isoformat().replace("+00:00", "Z"),
        "DownloadedAt": stamp.isoformat().replace("+00:00", "Z"),
    }
    (db_dir / "metadata.json").write_text(json.dumps(meta))
    return db_dir


def db_artifact_layer(db_dir: Path) -> bytes:
    """tar.gz of trivy.db + metadata.json, as the `--db-repository` artifact layer."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in ("trivy.db", "metadata.json"):
            tar.add(db_dir / name, arcname=name)
    return buf.getvalue()
