"""Registry status: conditions (API conventions) and the summary of a scan run (pure)."""

from __future__ import annotations

import datetime as dt
from typing import Literal, cast

from controller.api.registry import Condition, LastScan, PolicyCounts
from job_images.scanning.models import RunIndex, Summary


def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


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


def summarize_run(
    run: str, shards: list[RunIndex], start: str | None, completion: str
) -> tuple[LastScan, Summary, PolicyCounts]:
    """Shard results -> status. Each digest and each image is counted once."""
    totals: dict[str, Summary] = {}
    images: dict[tuple[str, str], bool] = {}
    scanned = reused = failed = 0
    for shard in shards:
        for img in shard.images:
            key = (img.repository, img.digest)
            passing = img.policy is None or img.policy.passed
            images[key] = images.get(key, True) and passing and img.status == "ok"
            if img.summary is not None and img.digest not in totals:
                totals[img.digest] = img.summary
        scanned += shard.scanned
        reused += shard.reused
        failed += shard.failed
    total = Summary()
    for s in totals.values():
        total = total.add(s)
    last = LastScan(
        runId=run,
        startTime=start,
        completionTime=completion,
        images=len(images),
        scanned=scanned,
        reused=reused,
        failed=failed,
    )
    vulns = total
    n_pass = sum(1 for ok in images.values() if ok)
    return last, vulns, PolicyCounts(passing=n_pass, failing=len(images) - n_pass)
