"""Which stored reports a vulnerability-DB update can change (I/O through the injected
ObjectStore; the decisions are dbchange.py's).

Each DB version's fingerprint is kept once in the store (`layout.db_fingerprint_key`),
each digest's package index beside its SBOM (`layout.package_index_key`). Comparing the
fingerprint a report was made with against the current one tells whether re-scanning
its SBOM could give another answer; when either fingerprint is missing, nothing is
assumed and the digest is re-scanned.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Protocol, runtime_checkable

from job_images.scanning import artifacts
from job_images.scanning.dbchange import DBChange, Fingerprint, diff
from job_images.scanning.pkgindex import package_index
from job_images.store.protocol import ObjectStore
from regscan.common.errors import RegscanError
from regscan.common.layout import db_fingerprint_key, package_index_key
from regscan.common.reports import ScannerInfo

log = logging.getLogger("regscan.scan.db")


@runtime_checkable
class Fingerprinting(Protocol):
    """A scanner whose DB can be fingerprinted (Trivy); others are always re-scanned."""

    def db_fingerprint(self) -> Fingerprint | None: ...


def _key(info: ScannerInfo) -> str | None:
    if not info.db_updated_at:
        return None
    try:
        return db_fingerprint_key(info.name, info.db_updated_at)
    except RegscanError:
        return None


class DBUpdates:
    """Fingerprints and package indexes in one store; thread-safe, cached per run."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._changes: dict[tuple[str, str], DBChange | None] = {}
        self._recorded: set[str] = set()

    def record_current(self, scanner: object, info: ScannerInfo) -> None:
        """Store the current DB's fingerprint once (skipped when already there)."""
        key = _key(info)
        if key is None or not isinstance(scanner, Fingerprinting):
            return
        with self._lock:
            if key in self._recorded:
                return
            self._recorded.add(key)
            if self.store.get(key) is not None:
                return
            fp = scanner.db_fingerprint()
            if fp is not None:
                self.store.put(key, fp.to_json())
                log.info("vulnerability DB %s fingerprinted", info.db_updated_at)

    def change(self, old: ScannerInfo, new: ScannerInfo) -> DBChange | None:
        """What changed from `old`'s DB to `new`'s; None when it cannot be known."""
        old_key, new_key = _key(old), _key(new)
        if old_key is None or new_key is None or old.name != new.name:
            return None
        with self._lock:
            if (old_key, new_key) not in self._changes:
                before, after = self._load(old_key), self._load(new_key)
                found = None if before is None or after is None else diff(before, after)
                self._changes[(old_key, new_key)] = found
            return self._changes[(old_key, new_key)]

    def _load(self, key: str) -> Fingerprint | None:
        data = self.store.get(key)
        return Fingerprint.from_json(data) if data is not None else None

    def save_index(self, digest: str, sbom: bytes) -> list[tuple[str, str]]:
        index = package_index(sbom)
        self.store.put(package_index_key(digest), json.dumps(index).encode())
        return index

    def index(self, digest: str) -> list[tuple[str, str]] | None:
        """The digest's package index: stored, else made from its stored SBOM; None if neither."""
        data = self.store.get(package_index_key(digest))
        if data is not None:
            try:
                return [(str(eco), str(name)) for eco, name in json.loads(data)]
            except (ValueError, TypeError):
                pass  # corrupt: made again below
        sbom = artifacts.load_sbom(self.store, digest)
        return self.save_index(digest, sbom) if sbom is not None else None
