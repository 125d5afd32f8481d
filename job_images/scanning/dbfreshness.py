"""Is the cached vulnerability DB the one the mirror serves? (pure)

Trivy alone re-downloads its DB only once the cached `NextUpdate` has passed, so a
mirror that received a new DB goes unnoticed for up to a day (or, with a fixture or
air-gapped DB, for years). regscan asks the mirror for the DB manifest's digest (one
HEAD) and compares it with the digest it recorded when it last fetched the DB;
`NextUpdate` never decides. This module holds the decision and the record's
format; `dbsource.py` does the HEAD and the download.
"""

from __future__ import annotations

import enum
import json

from regscan.common.dbref import DBRef

RECORD_FILE = "regscan-source.json"  # written inside <cache>/db/, so it moves with the DB


class DBAction(enum.Enum):
    USE = "use"  # the cached DB is the mirror's current one (or updates are off)
    FETCH = "fetch"  # download the mirror's DB and swap it in
    TRIVY = "trivy"  # the mirror did not answer: let Trivy apply its own NextUpdate rule


def decide(
    *, has_db: bool, recorded: str | None, remote: str | None, skip_update: bool
) -> DBAction:
    """What to do with the DB before a run, from the recorded and the mirror's digest."""
    if skip_update:
        return DBAction.USE
    if remote is None:
        return DBAction.TRIVY
    if has_db and recorded == remote:
        return DBAction.USE
    return DBAction.FETCH


def record(ref: DBRef, digest: str) -> str:
    """The record's text: which DB (repository and manifest digest) the cache holds."""
    return json.dumps({"repository": str(ref), "digest": digest}, sort_keys=True)


def recorded_digest(text: str | None) -> str | None:
    """The digest in a record, or None when there is none or it is unreadable."""
    if not text:
        return None
    try:
        value = json.loads(text).get("digest")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) and value.startswith("sha256:") else None
