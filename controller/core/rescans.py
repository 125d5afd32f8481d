"""Rescan runs after a vulnerability-DB update (pure).

Each Registry's status names the DB its reports are current for (`status.database`, from
the last run's scanner). When the DB mirror serves another DB (one HEAD per mirror, made
by `controller/dbwatch.py`), `runs.rescan_decision` starts one rescan Job for that
Registry and DB version (`naming.rescan_job_name`: a restart re-derives it, never repeats
it). The Job
re-stamps every report the update cannot change and lists the digests it can affect
(`runs/<run>/rescan.json`); the run then goes on like any other, scanning only those.
"""

from __future__ import annotations

from typing import Any

from controller.core.observed import Observed, RunData
from controller.settings import Settings
from regscan.common.discovery import ImageEntry
from regscan.common.registry import LastRescan, VulnerabilityDB
from regscan.common.reports import RunIndex


def db_key(spec: dict[str, Any], settings: Settings) -> str | None:
    """The DB mirror a Registry's Jobs use, as `Observed.db_digests` keys it ("" = Trivy's);
    None for a harbor scanner, which keeps its own DB (no mirror to follow)."""
    scanner = spec.get("scanner") if isinstance(spec, dict) else None
    if not isinstance(scanner, dict):
        scanner = {}
    if scanner.get("name", "trivy") != "trivy":
        return None
    return str(scanner.get("dbRepository") or settings.trivy_db_repository or "")


def mirrors_to_check(observed: Observed, settings: Settings) -> set[str]:
    """The mirrors of Registries scanned by Trivy whose status names a DB: the others have
    nothing to redo."""
    out = set()
    for reg in observed.registries:
        key = db_key(reg.spec, settings)
        database = (reg.status or {}).get("database") or {}
        if not reg.deleting and key is not None and database.get("digest"):
            out.add(key)
    return out


def only_affected(images: list[ImageEntry], data: RunData) -> list[ImageEntry] | None:
    """A rescan run's work: the images whose digest its plan names; None for other runs."""
    if data.rescan is None:
        return None
    affected = set(data.rescan.affected)
    return [img for img in images if img.digest in affected]


def finished_fields(
    run: str, merged: RunIndex, data: RunData, completion: str
) -> tuple[tuple[str, Any], ...]:
    """Status fields a finished run sets: the DB it used; for a rescan run, `lastRescan`."""
    out: list[tuple[str, Any]] = []
    used = data.rescan.scanner if data.rescan is not None else merged.scanner
    if used is not None and used.db_digest:
        out.append(
            ("database", VulnerabilityDB(digest=used.db_digest, updatedAt=used.db_updated_at))
        )
    plan = data.rescan
    if plan is not None:
        rescanned = {i.digest for i in merged.images if not i.reused and i.status == "ok"}
        last = LastRescan(
            runId=run,
            dbDigest=plan.scanner.db_digest,
            dbUpdatedAt=plan.scanner.db_updated_at,
            affected=len(plan.affected),
            rescanned=len(rescanned & set(plan.affected)),
            verified=plan.verified,
            completionTime=completion,
        )
        out.append(("lastRescan", last))
    return tuple(out)
