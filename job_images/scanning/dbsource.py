"""The vulnerability DB's source: the mirror's digest and a swap-in download (does I/O:
HEADs the DB repository over HTTP, moves directories in Trivy's cache).

A fetched DB lands in a temporary directory beside the cache's `db/` and replaces it
only once complete, so a failed download never loses the DB already there.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from job_images.discovery.client import RegistryClient
from job_images.discovery.options import ClientOptions
from job_images.scanning.dbfreshness import RECORD_FILE, record, recorded_digest
from regscan.common.dbref import DBRef
from regscan.common.errors import RegscanError

log = logging.getLogger("regscan.scan.db")


def mirror_digest(
    refs: list[DBRef], *, ca_file: str | None, insecure: bool, timeout: float
) -> tuple[DBRef, str] | None:
    """The first repository that answers, with its DB manifest digest; None if none does."""
    options = ClientOptions(timeout=timeout, retries=1, ca_file=ca_file, insecure=insecure)
    for ref in refs:
        try:
            with RegistryClient(ref.url, None, options) as client:
                digest, _ = client.head_manifest(ref.repository, ref.tag)
        except RegscanError as exc:
            log.warning("vulnerability DB %s: cannot check for updates: %s", ref, exc)
            continue
        if digest.startswith("sha256:"):
            return ref, digest
        log.warning("vulnerability DB %s: the registry sent no manifest digest", ref)
    return None


def cached_digest(cache_dir: Path) -> str | None:
    """The digest recorded with the cached DB (None if absent or not fetched by regscan)."""
    try:
        return recorded_digest((cache_dir / "db" / RECORD_FILE).read_text())
    except OSError:
        return None


def has_db(cache_dir: Path) -> bool:
    return (cache_dir / "db" / "trivy.db").is_file()


def fetch(cache_dir: Path, ref: DBRef, digest: str, download: Callable[[Path], None]) -> None:
    """Run `download(tmp_cache)` (Trivy fills `tmp_cache/db`), then swap it in for `db/`."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".regscan-db-", dir=cache_dir))
    try:
        download(tmp)
        new = tmp / "db"
        (new / RECORD_FILE).write_text(record(ref, digest))
        current = cache_dir / "db"
        if current.exists():
            current.rename(tmp / "replaced")
        new.rename(current)
        log.info("vulnerability DB %s@%s is in use", ref, digest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
