"""reconcile(observed, settings, now) -> Plan: every controller decision, pure.

Per Registry, small decisions return values (`AuthDecision`, `Decision`s of the run)
that add up in order; `plan_registry` turns them into one `RegistryPlan` (objects
stamped with their hash and dropped when already applied as they are, the new status).
`on_failure` is the plan for a Registry whose plan could not be applied. Names are
deterministic and state is re-derived from labels, Job conditions, the Registry
status and the store, so a restarted controller plans the same work.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from controller.api import labels as L
from controller.core import builders, reasons
from controller.core.authsecret import auth_decision, registry_copy, registry_copy_name
from controller.core.observed import (
    ConditionChange,
    Decision,
    Deletion,
    Event,
    Observed,
    Plan,
    RegistryObs,
    RegistryPlan,
)
from controller.core.reads import owned_by
from controller.core.runs import RunContext, own_jobs, run_decision
from controller.core.schedule import next_time
from controller.core.status import set_condition
from controller.core.validation import parse_spec
from controller.settings import Settings
from regscan.common.errors import InvalidInput
from regscan.common.registry import RegistryStatus
from regscan.common.timeutil import iso


def reconcile(observed: Observed, settings: Settings, now: dt.datetime) -> Plan:
    """The whole tick's plan; the loop applies it Registry by Registry."""
    return Plan(
        registries=[
            reconcile_registry(reg, observed, settings, now)
            for reg in observed.registries
            if not reg.deleting
        ],
        cleanup=cleanup(observed, settings),
    )


def reconcile_registry(
    reg: RegistryObs, observed: Observed, settings: Settings, now: dt.datetime
) -> RegistryPlan:
    """One Registry's plan."""
    return plan_registry(reg, observed, decide(reg, observed, settings, now), now)


def decide(reg: RegistryObs, observed: Observed, settings: Settings, now: dt.datetime) -> Decision:
    status = RegistryStatus.model_validate(reg.status or {})
    out = _recovered(status)
    try:
        spec = parse_spec(reg.spec)
    except InvalidInput as exc:
        return out + _invalid(reg, observed, settings, exc.field, exc.reason)
    auth = auth_decision(reg, spec, observed)
    if auth.problem is not None:
        return out + _invalid(reg, observed, settings, *auth.problem)
    secret = registry_copy_name(reg) if auth.needed else None
    cron = builders.discovery_cronjob(
        reg.namespace, reg.name, spec, builders.spec_hash(spec), settings, secret
    )
    request = reg.annotations.get(L.SCAN_REQUESTED)
    if request:  # the CronJob records the last request it handled
        cron["metadata"]["annotations"][L.HANDLED_REQUEST] = request
    next_run = None if spec.suspend else iso(next_time(spec.schedule, now))
    ctx = RunContext(reg, spec, status, own_jobs(reg, observed), observed, settings, now, auth)
    return (
        out
        + registry_copy(reg, auth, settings)
        + _manual_trigger(reg, observed, cron)
        + Decision(
            apply=(cron,),
            fields=(("nextScheduleTime", next_run),),
            conditions=(
                ConditionChange(
                    reasons.READY,
                    "True",
                    reasons.SCHEDULED,
                    f"discovery CronJob {cron['metadata']['name']}",
                ),
            ),
        )
        + run_decision(ctx)
    )


def _recovered(status: RegistryStatus) -> Decision:
    """A ReconcileError of an earlier tick is cleared; on_failure sets it again if not."""
    degraded = next((c for c in status.conditions if c.type == reasons.DEGRADED), None)
    if degraded is None or degraded.reason != reasons.RECONCILE_ERROR:
        return Decision()
    return Decision(conditions=(ConditionChange(reasons.DEGRADED, "False", reasons.RECOVERED),))


def _invalid(
    reg: RegistryObs,
    observed: Observed,
    settings: Settings,
    field: str,
    message: str,
    reason: str = reasons.INVALID_SPEC,
) -> Decision:
    """Ready=False naming the field; no new runs (the CronJob goes)."""
    crons = tuple(
        ("CronJob", settings.namespace, c.name)
        for c in observed.cronjobs
        if owned_by(c.labels, reg)
    )
    return Decision(
        conditions=(ConditionChange(reasons.READY, "False", reason, f"{field}: {message}"),),
        fields=(("nextScheduleTime", None),),
        delete=crons,
    )


def _manual_trigger(reg: RegistryObs, observed: Observed, cron: dict[str, Any]) -> Decision:
    """A new `scan-requested` annotation value starts one discovery Job, once."""
    request = reg.annotations.get(L.SCAN_REQUESTED)
    if not request:
        return Decision()
    name = cron["metadata"]["name"]
    handled = next(
        (c.annotations.get(L.HANDLED_REQUEST) for c in observed.cronjobs if c.name == name), None
    )
    if request == handled:
        return Decision()
    message = f"discovery started by annotation ({request})"
    return Decision(
        apply=(builders.manual_discovery_job(cron, request),),
        events=(Event(reg.namespace, reg.name, reasons.SCAN_REQUESTED, message),),
    )


def plan_registry(
    reg: RegistryObs, observed: Observed, decision: Decision, now: dt.datetime
) -> RegistryPlan:
    """The decisions as one plan: unchanged objects dropped, the status only if it changed."""
    status = RegistryStatus.model_validate(reg.status or {})
    status.observedGeneration = reg.generation
    for name, value in decision.fields:
        setattr(status, name, value)
    for c in decision.conditions:
        status.conditions = set_condition(
            status.conditions, c.type, c.status, c.reason, c.message, now, reg.generation
        )
    new = status.model_dump(mode="json", exclude_none=True)
    return RegistryPlan(
        namespace=reg.namespace,
        name=reg.name,
        put_objects=list(decision.put_objects),
        apply=_skip_unchanged(list(decision.apply), observed),
        delete=list(decision.delete),
        status=new if new != (reg.status or {}) else None,
        events=list(decision.events),
    )


def on_failure(reg: RegistryObs, message: str, now: dt.datetime) -> RegistryPlan:
    """A Registry whose plan could not be applied: Degraded=True ReconcileError, nothing else."""
    failed = Decision(
        conditions=(
            ConditionChange(reasons.DEGRADED, "True", reasons.RECONCILE_ERROR, message[:512]),
        )
    )
    return plan_registry(reg, Observed(), failed, now)


def _skip_unchanged(objects: list[dict[str, Any]], observed: Observed) -> list[dict[str, Any]]:
    """Stamp each desired object with its hash; drop those already applied as they are.

    Jobs are immutable once created, so an existing Job of the same name is left alone.
    """
    seen = {("CronJob", o.name): o.annotations for o in observed.cronjobs}
    seen |= {("Secret", o.name): o.annotations for o in observed.secrets}
    jobs = {j.name for j in observed.jobs}
    keep = []
    for obj in objects:
        name = obj["metadata"]["name"]
        if obj["kind"] == "Job":
            if name not in jobs:
                keep.append(obj)
            continue
        digest = builders.object_hash(obj)
        obj["metadata"].setdefault("annotations", {})[L.APPLIED_HASH] = digest
        if seen.get((obj["kind"], name), {}).get(L.APPLIED_HASH) != digest:
            keep.append(obj)
    return keep


def cleanup(observed: Observed, settings: Settings) -> list[Deletion]:
    """Objects of deleted Registries (owner references cannot cross namespaces)."""
    live = {(r.namespace, r.name) for r in observed.registries if not r.deleting}

    def gone(lbl: dict[str, str]) -> bool:
        return (lbl.get(L.REGISTRY_NAMESPACE, ""), lbl.get(L.REGISTRY_NAME, "")) not in live

    out: list[Deletion] = []
    for kind, items in (
        ("CronJob", observed.cronjobs),
        ("Job", observed.jobs),
        ("Secret", observed.secrets),
    ):
        out += [(kind, settings.namespace, obj.name) for obj in items if gone(obj.labels)]
    return out
