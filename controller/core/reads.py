"""Which store objects a tick needs, from what the API server showed (pure).

Only runs the controller is still working on are read: the latest successful
discovery of a Registry whose status does not summarize it yet. Its shard results
are read only once its scan Job has finished.
"""

from __future__ import annotations

from dataclasses import dataclass

from controller.api import labels as L
from controller.core.observed import JobObs, Observed, RegistryObs


@dataclass(frozen=True)
class RunReads:
    namespace: str
    run: str
    previous_run: str | None  # the run the Registry's status summarizes now
    shard_results: bool  # the scan Job finished: read its results
    rescan: bool = False  # a rescan run: read its plan (`runs/<run>/rescan.json`)


def owned_by(obj_labels: dict[str, str], reg: RegistryObs) -> bool:
    return (obj_labels.get(L.REGISTRY_NAMESPACE), obj_labels.get(L.REGISTRY_NAME)) == (
        reg.namespace,
        reg.name,
    )


def latest_discovery(jobs: list[JobObs], reg: RegistryObs) -> JobObs | None:
    done = [
        j
        for j in jobs
        if j.succeeded and j.labels.get(L.COMPONENT) == "discovery" and owned_by(j.labels, reg)
    ]
    return max(done, key=lambda j: (j.completion_time or "", j.name), default=None)


def scan_job_of(jobs: list[JobObs], reg: RegistryObs, run: str) -> JobObs | None:
    return next(
        (
            j
            for j in jobs
            if j.labels.get(L.COMPONENT) == "scan"
            and j.labels.get(L.RUN_ID) == run
            and owned_by(j.labels, reg)
        ),
        None,
    )


def summarized(reg: RegistryObs) -> tuple[str | None, bool]:
    """(run id of the status's last scan, whether it completed)."""
    last = (reg.status or {}).get("lastScan") or {}
    return last.get("runId"), bool(last.get("completionTime"))


def reads_needed(observed: Observed) -> list[RunReads]:
    out = []
    for reg in observed.registries:
        if reg.deleting:
            continue
        disc = latest_discovery(observed.jobs, reg)
        if disc is None:
            continue
        last_run, complete = summarized(reg)
        if last_run == disc.name and complete:
            continue
        scan = scan_job_of(observed.jobs, reg, disc.name)
        previous = last_run if last_run and last_run != disc.name else None
        finished = scan is not None and scan.finished
        rescan = disc.labels.get(L.RUN_KIND) == L.RESCAN
        out.append(RunReads(reg.namespace, disc.name, previous, finished, rescan))
    return out
