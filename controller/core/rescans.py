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

from controller.core.observed import Observed, RegistryObs, RunData
from controller.settings import Settings
from regscan.common.discovery import ImageEntry
from regscan.common.registry import LastRescan, VulnerabilityDB
from regscan.common.reports import RunIndex


def db_key(spec: dict[str, Any], settings: Settings) -> str:
    """The DB mirror a Registry's Jobs use, as `Observed.db_digests` keys it ("" = Trivy's)."""
    scanner = spec.get("scanner") if isinstance(spec, dict) else None
    own = scanner.get("dbRepository") if isinstance(scanner, dict) else None
    return str(own or settings.trivy_db_repository or "")


def mirrors_to_check(observed: Observed, settings: Settings) -> set[str]:
    """The mirrors of Registries scanned by Trivy whose status names a DB: the others have
    nothing to redo (a harbor scanner keeps its own DB)."""

    def follows(reg: RegistryObs) -> bool:
        scanner = reg.spec.get("scanner") if isinstance(reg.spec, dict) else None
        name = scanner.get("name", "trivy") if isinstance(scanner, dict) else "trivy"
        database = (reg.status or {}).get("database") or {}
        return not reg.deleting and name == "trivy" and bool(database.get("digest"))

    return {db_key(reg.spec, settings) for reg in observed.registries if follows(reg)}


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
