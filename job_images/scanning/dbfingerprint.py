"""Read a Trivy DB file into a Fingerprint (does file I/O: reads the bbolt file with
the pure-Python `boltdb` reader; see dbchange.py for what the hashes mean)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from boltdb import BoltDB

from job_images.scanning.dbchange import SOURCE_BUCKET, VULN_BUCKET, Fingerprint
from regscan.common.errors import OperationalError


def _items(bucket: Any) -> Iterator[tuple[bytes, bytes | None, Any]]:
    """(key, value, sub-bucket) for each entry; value None for a nested bucket."""
    cursor = bucket.cursor()
    key, value = cursor.first()
    while key is not None:
        sub = bucket.bucket(key)
        yield key, (None if sub is not None else value or b""), sub
        key, value = cursor.next()


def _feed(digest: Any, bucket: Any) -> None:
    for key, value, sub in _items(bucket):
        digest.update(len(key).to_bytes(4, "big") + key)
        if sub is not None:
            digest.update(b"{")
            _feed(digest, sub)
            digest.update(b"}")
        else:
            assert value is not None
            digest.update(len(value).to_bytes(4, "big") + value)


def _short(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _bucket_hash(bucket: Any) -> str:
    h = hashlib.sha256()
    _feed(h, bucket)
    return h.hexdigest()[:16]


def fingerprint(db_file: Path) -> Fingerprint:
    """Hashes per (source, package), per vulnerability record, per other bucket."""
    try:
        db = BoltDB(str(db_file))
    except (OSError, ValueError) as exc:
        raise OperationalError(f"vulnerability DB {db_file}: cannot read: {exc}") from exc
    fp = Fingerprint()
    try:
        with db.view() as tx:
            for name, _, top in _items(tx):
                bucket_name = name.decode("utf-8", "replace")
                if top is None:
                    continue
                if bucket_name == VULN_BUCKET:
                    fp.vulnerabilities = {
                        k.decode("utf-8", "replace"): _short(v or b"") for k, v, _ in _items(top)
                    }
                elif bucket_name == SOURCE_BUCKET:
                    for k, v, sub in _items(top):
                        data = v if sub is None else _bucket_hash(sub).encode()
                        fp.other[f"{SOURCE_BUCKET}/{k.decode('utf-8', 'replace')}"] = _short(
                            data or b""
                        )
                else:
                    entries = list(_items(top))
                    if entries and all(sub is not None for _, _, sub in entries):
                        fp.advisories[bucket_name] = {
                            k.decode("utf-8", "replace"): _bucket_hash(sub) for k, _, sub in entries
                        }
                    else:  # flat or mixed: a bucket regscan does not interpret
                        fp.other[bucket_name] = _bucket_hash(top)
    finally:
        db.close()
        db.close = lambda: None  # type: ignore[method-assign]  # its __del__ closes again
    return fp
