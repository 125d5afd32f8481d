"""Registry status: conditions (API conventions) and the summary of a scan run (pure)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, cast

from regscan.common.registry import Condition, LastScan, PolicyCounts
from regscan.common.reports import RunIndex, Summary
from regscan.common.timeutil import iso


def set_condition(
    conditions: list[Condition],
    type_: str,
    status: str,
    reason: str,
    message: str,
    now: dt.datetime,
    generation: int | None,
) -> list[Condition]:
    """Replace the condition of `type_`; keep lastTransitionTime unless the status changes."""
    old = next((c for c in conditions if c.type == type_), None)
    stamp = old.lastTransitionTime if old is not None and old.status == status else iso(now)
    new = Condition(
        type=type_,
        status=cast(Literal["True", "False", "Unknown"], status),
        reason=reason,
        message=message[:1024],  # type: ignore[arg-type]
        lastTransitionTime=stamp,
        observedGeneration=generation,
    )
    if old is None:
        return [*conditions, new]
    return [new if c.type == type_ else c for c in conditions]  # keep the order: no churn


def summarize_run(merged: RunIndex, start: str | None) -> tuple[LastScan, Summary, PolicyCounts]:
    """A merged run index -> status. Each image (repository, digest) is counted once."""
    images: dict[tuple[str, str], bool] = {}
    for img in merged.images:
        key = (img.repository, img.digest)
        passing = img.status == "ok" and (img.policy is None or img.policy.passed)
        images[key] = images.get(key, True) and passing
    last = LastScan(
        runId=merged.run_id,
        startTime=start,
        completionTime=merged.completed_at,
        images=len(images),
        scanned=merged.scanned,
        reused=merged.reused,
        failed=merged.failed,
    )
    n_pass = sum(1 for ok in images.values() if ok)
    return last, merged.totals, PolicyCounts(passing=n_pass, failing=len(images) - n_pass)


def merge_patch(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """An RFC 7386 merge patch turning `old` into `new` (removed keys become null)."""
    patch: dict[str, Any] = {}
    for key in old.keys() | new.keys():
        if key not in new:
            patch[key] = None
        elif isinstance(old.get(key), dict) and isinstance(new[key], dict):
            inner = merge_patch(old[key], new[key])
            if inner:
                patch[key] = inner
        elif old.get(key) != new[key]:
            patch[key] = new[key]
    return patch
