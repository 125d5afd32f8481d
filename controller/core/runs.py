"""The run decisions of one Registry (pure): discovery state, starting the scan of a
discovered run, following it, and summarizing it when its Job is done.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from controller.api import labels as L
from controller.core import builders, reasons
from controller.core.authsecret import AuthDecision, run_copies
from controller.core.observed import (
    ConditionChange,
    Decision,
    Event,
    JobObs,
    Observed,
    RegistryObs,
    RunData,
)
from controller.core.reads import latest_discovery, owned_by, scan_job_of
from controller.core.reasons import RunOutcome
from controller.core.rescans import db_key, finished_fields, only_affected
from controller.core.runindex import known_scanners, merge_run, newest_scanner
from controller.core.sharding import digests_to_scan, make_shards
from controller.core.status import summarize_run
from controller.settings import Settings
from regscan.common import layout
from regscan.common.discovery import ImageEntry
from regscan.common.registry import LastDiscovery, RegistrySpec, RegistryStatus
from regscan.common.reports import ShardSpec
from regscan.common.timeutil import iso


@dataclass(frozen=True)
class RunContext:
    """What every run decision of one Registry reads."""

    reg: RegistryObs
    spec: RegistrySpec
    status: RegistryStatus  # as observed
    jobs: list[JobObs]  # the Registry's own Jobs
    observed: Observed
    settings: Settings
    now: dt.datetime
    auth: AuthDecision

    def event(
        self, reason: str, message: str, type_: str = "Normal", outcome: RunOutcome | None = None
    ) -> Event:
        return Event(self.reg.namespace, self.reg.name, reason, message, type_, outcome)


def _cond(type_: str, status: str, reason: str, message: str = "") -> Decision:
    return Decision(conditions=(ConditionChange(type_, status, reason, message),))


def run_decision(ctx: RunContext) -> Decision:
    """Discovery state, then the latest discovered run's scan state."""
    disc = [j for j in ctx.jobs if j.labels.get(L.COMPONENT) == "discovery"]
    active = any(j.active for j in disc)
    out = _cond(
        reasons.DISCOVERING,
        "True" if active else "False",
        reasons.RUNNING if active else reasons.IDLE,
    )
    latest = latest_discovery(ctx.jobs, ctx.reg)
    failed = [j for j in disc if j.failed]
    if failed and latest is None:
        out += _cond(
            reasons.DEGRADED, "True", reasons.DISCOVERY_FAILED, f"Job {failed[-1].name} failed"
        )
    if latest is None:
        return out + _cond(reasons.SCANNING, "False", reasons.IDLE)
    return out + _scan_decision(ctx, latest) + rescan_decision(ctx)


def _scan_decision(ctx: RunContext, disc_job: JobObs) -> Decision:
    run = disc_job.name
    last = ctx.status.lastScan
    if last is not None and last.runId == run and last.completionTime:
        return _cond(reasons.SCANNING, "False", reasons.IDLE)  # summarized already
    data = ctx.observed.runs.get(run)
    if data is None or data.discovery is None:
        return _cond(
            reasons.DEGRADED,
            "True",
            reasons.DISCOVERY_RESULT_MISSING,
            f"no discovery result for run {run} in the store",
        )
    found = data.discovery
    last_discovery = LastDiscovery(
        runId=run,
        completionTime=disc_job.completion_time,
        repositories=found.stats.repositories,
        tags=found.stats.tags,
        images=len(found.images),
        filterErrors=found.stats.filter_errors[:64],
    )
    out = Decision(fields=(("lastDiscovery", last_discovery),))
    scan_job = scan_job_of(ctx.jobs, ctx.reg, run)
    if scan_job is None:
        return out + _start_scan(ctx, run, data)
    if not scan_job.finished:
        return out + _cond(reasons.SCANNING, "True", reasons.RUNNING, f"Job {scan_job.name}")
    return out + finish_run(ctx, run, scan_job, data)


def rescan_decision(ctx: RunContext) -> Decision:
    """A rescan Job (rescans.py) when the mirror's DB differs from the one the reports are
    current for, the Registry is idle (no Job running, its last run summarized) and none
    ran for this DB version yet."""
    database, last = ctx.status.database, ctx.status.lastScan
    key = db_key(ctx.reg.spec, ctx.settings)  # None: a harbor scanner's DB is its own
    if key is None or database is None or not database.digest:
        return Decision()
    if last is None or not last.completionTime:
        return Decision()
    mirror = ctx.observed.db_digests.get(key)
    if not mirror or mirror == database.digest:
        return Decision()
    latest = latest_discovery(ctx.jobs, ctx.reg)
    if any(j.active for j in ctx.jobs) or (latest is not None and latest.name != last.runId):
        return Decision()  # a run is under way
    job = builders.rescan_job(
        ctx.reg.namespace, ctx.reg.name, mirror, last.runId, ctx.spec, ctx.settings
    )
    if any(j.name == job["metadata"]["name"] for j in ctx.jobs):
        return Decision()  # this DB version's rescan ran (or failed) already
    message = f"vulnerability DB {mirror[:19]}… in the mirror: re-checking run {last.runId}"
    return Decision(apply=(job,), events=(ctx.event(reasons.RESCAN_STARTED, message),))


def work_to_do(ctx: RunContext, data: RunData) -> list[ImageEntry]:
    """The discovered images whose digests need a scan (see `sharding.digests_to_scan`);
    for a rescan run, those its plan names."""
    assert data.discovery is not None
    affected = only_affected(data.discovery.images, data)
    if affected is not None:
        return affected
    prev = data.previous
    known = known_scanners(prev)
    if prev is not None and prev.policy_hash != builders.policy_hash(ctx.spec):
        known = {}  # a policy change: every image is checked again (reports are re-used)
    stale = None
    if ctx.settings.rescan_after_hours > 0:
        stale = iso(ctx.now - dt.timedelta(hours=ctx.settings.rescan_after_hours))
    current = newest_scanner(list(known.values()))
    return digests_to_scan(data.discovery.images, known, current, stale)


def _start_scan(ctx: RunContext, run: str, data: RunData) -> Decision:
    assert data.discovery is not None
    todo = work_to_do(ctx, data)
    shards = make_shards(todo, ctx.spec.scan.batchSize)
    if not shards:
        images = len(data.discovery.images)
        return finish_run(ctx, run, None, data) + Decision(
            events=(
                ctx.event(
                    reasons.SCAN_SKIPPED,
                    f"run {run}: nothing to scan, all {images} images current",
                    outcome=RunOutcome.SKIPPED,
                ),
            )
        )
    url = ctx.spec.url.rstrip("/")
    puts = tuple(
        (
            layout.under(ctx.reg.namespace, layout.shard_key(run, i)),
            ShardSpec(
                runId=run,
                shard=i,
                registryUrl=url,
                images=[e.model_dump(by_alias=True) for e in shard],
            ).to_json(),
        )
        for i, shard in enumerate(shards)
    )
    copies = run_copies(ctx.reg, ctx.auth, run, ctx.settings)
    job = builders.scan_job(
        ctx.reg.namespace,
        ctx.reg.name,
        run,
        len(shards),
        ctx.spec,
        ctx.settings,
        copies.registry,
        copies.scanner,
    )
    message = f"{len(todo)} images in {len(shards)} shards"
    return (
        Decision(put_objects=puts)
        + copies.decision
        + Decision(apply=(job,))
        + _cond(reasons.SCANNING, "True", reasons.STARTED, message)
        + Decision(events=(ctx.event(reasons.SCAN_STARTED, f"run {run}: {message}"),))
    )


def finish_run(ctx: RunContext, run: str, job: JobObs | None, data: RunData) -> Decision:
    """Merge the shard results with the previous run; the summary goes into the status."""
    assert data.discovery is not None
    start = (job.start_time if job else None) or iso(ctx.now)
    merged = merge_run(
        run,
        ctx.spec.url.rstrip("/"),
        data.discovery.images,
        [data.shard_results[k] for k in sorted(data.shard_results)],
        data.previous,
        start,
        iso(ctx.now),
        builders.policy_hash(ctx.spec),
        ctx.spec.policy,
        discovery_errors=len(data.discovery.errors),
        filter_errors=data.discovery.stats.filter_errors,
    )
    key = layout.under(ctx.reg.namespace, layout.run_index_key(run))
    last, vulns, policy = summarize_run(merged, start)
    out = Decision(
        put_objects=((key, merged.to_json()),),
        fields=(
            ("lastScan", last),
            ("vulnerabilities", vulns),
            ("policy", policy),
            ("reports", f"s3://{ctx.settings.s3_bucket}/{key}"),
            *finished_fields(run, merged, data, iso(ctx.now)),
        ),
    ) + _cond(reasons.SCANNING, "False", reasons.IDLE)
    if job is not None and (job.failed or job.failed_indexes):
        failed = job.failed_indexes or "all"
        message = f"Job {job.name} failed indexes: {failed}"
        out += _cond(reasons.DEGRADED, "True", reasons.SHARDS_FAILED, message) + Decision(
            events=(
                ctx.event(
                    reasons.SCAN_FAILED,
                    f"run {run}: failed indexes {job.failed_indexes}",
                    "Warning",
                    RunOutcome.FAILED,
                ),
            )
        )
    else:
        summary = (
            f"run {run}: {last.images} images, {last.failed} failed, {vulns.critical} critical"
        )
        out += _cond(reasons.DEGRADED, "False", reasons.HEALTHY) + Decision(
            events=(ctx.event(reasons.SCAN_FINISHED, summary, outcome=RunOutcome.FINISHED),)
        )
    ns = ctx.settings.namespace
    done = tuple(
        ("Secret", ns, s.name) for s in ctx.observed.secrets if s.labels.get(L.RUN_ID) == run
    )
    return out + Decision(delete=done)


def own_jobs(reg: RegistryObs, observed: Observed) -> list[JobObs]:
    return [j for j in observed.jobs if owned_by(j.labels, reg)]
