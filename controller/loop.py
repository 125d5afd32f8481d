"""The polling loop (does I/O): observe -> reconcile per Registry -> apply the plan.

The only place that catches broadly: a Registry whose reconcile or apply fails gets
`Degraded=True` (reason ReconcileError) and the loop goes on with the others.
Order of effects per Registry: store objects (shard lists, merged run index) first,
then API objects, deletions, the status patch (only when it changed), events.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from controller.core import builders
from controller.core.observed import Observed, Plan, RegistryObs
from controller.core.reconcile import cleanup, reconcile_registry
from controller.core.status import merge_patch, set_condition
from controller.kube.client import KubeApi, KubeError
from controller.leader import LeaderElector
from controller.metrics import Metrics
from controller.observe import StoreReader, observe
from controller.settings import Settings
from job_images.store.backends import ObjectStore
from regscan.common.registry import RegistryStatus
from regscan.common.timeutil import iso, utcnow

log = logging.getLogger("regscan.controller")
RUN_RESULTS = {"ScanFinished": "finished", "ScanFailed": "failed", "ScanSkipped": "skipped"}


@dataclass
class TickReport:
    registries: int = 0
    applied: int = 0
    deleted: int = 0
    status_patches: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


class Controller:
    def __init__(
        self,
        kube: KubeApi,
        store: ObjectStore,
        settings: Settings,
        metrics: Metrics | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.kube, self.store, self.settings = kube, store, settings
        self.reader = StoreReader(store)
        self.metrics = metrics or Metrics()
        self.clock = clock
        self._known: set[tuple[str, str]] = set()

    def tick(self) -> TickReport:
        started = time.monotonic()
        now = self.clock()
        report = TickReport()
        observed = observe(self.kube, self.reader, self.settings)
        report.registries = len(observed.registries)
        for reg in observed.registries:
            plan = Plan()
            try:
                reconcile_registry(reg, observed, self.settings, now, plan)
                self._execute(plan, reg, report)
            except Exception as exc:
                self._failed(reg, exc, now, report)
        plan = Plan()
        cleanup(observed, self.settings, plan)
        self._deletions(plan, report)
        self._forget_deleted(observed)
        report.seconds = time.monotonic() - started
        self.metrics.ticks.inc()
        self.metrics.tick_seconds.observe(report.seconds)
        self.metrics.registries.set(report.registries)
        self.metrics.last_tick = time.monotonic()
        return report

    def _execute(self, plan: Plan, reg: RegistryObs, report: TickReport) -> None:
        for key, body in plan.put_objects:
            self.store.put(key, body)
        for obj in plan.apply:
            self.kube.apply(obj)
            report.applied += 1
        self._deletions(plan, report)
        for namespace, name, status in plan.status:
            patch = merge_patch(reg.status or {}, status)
            if patch:
                self._patch_status(namespace, name, patch)
                report.status_patches += 1
            self.metrics.publish_status(namespace, name, status)
        for ev in plan.events:
            self._event(reg, ev.reason, ev.message, ev.type)

    def _patch_status(self, namespace: str, name: str, patch: dict[str, Any]) -> None:
        try:
            self.kube.patch_status(namespace, name, {"status": patch})
        except KubeError as exc:
            if exc.status != 404:  # deleted meanwhile: nothing to report on
                raise

    def _deletions(self, plan: Plan, report: TickReport) -> None:
        for kind, namespace, name in plan.delete:
            try:
                self.kube.delete(kind, namespace, name)
                report.deleted += 1
            except KubeError as exc:
                report.errors.append(str(exc))
                log.warning("delete %s %s/%s: %s", kind, namespace, name, exc)

    def _event(self, reg: RegistryObs, reason: str, message: str, type_: str) -> None:
        obj = builders.event_object(
            reg.namespace, reg.name, reg.uid, reason, message, type_, iso(self.clock())
        )
        try:
            self.kube.create(obj)
        except KubeError as exc:
            if not exc.conflict:  # 409: emitted before (same content)
                log.warning("event %s for %s/%s: %s", reason, reg.namespace, reg.name, exc)
        if reason in RUN_RESULTS:
            self.metrics.runs.labels(reg.namespace, reg.name, RUN_RESULTS[reason]).inc()
        log.info("%s/%s: %s: %s", reg.namespace, reg.name, reason, message)

    def _failed(
        self, reg: RegistryObs, exc: Exception, now: dt.datetime, report: TickReport
    ) -> None:
        message = f"{type(exc).__name__}: {exc}"[:512]
        report.errors.append(f"{reg.namespace}/{reg.name}: {message}")
        self.metrics.errors.labels(reg.namespace, reg.name).inc()
        log.error("%s/%s: %s", reg.namespace, reg.name, message)
        try:
            status = RegistryStatus.model_validate(reg.status or {})
            status.conditions = set_condition(
                status.conditions,
                "Degraded",
                "True",
                "ReconcileError",
                message,
                now,
                reg.generation,
            )
            new = status.model_dump(mode="json", exclude_none=True)
            patch = merge_patch(reg.status or {}, new)
            if patch:
                self._patch_status(reg.namespace, reg.name, patch)
        except Exception as inner:
            log.error("%s/%s: cannot record the failure: %s", reg.namespace, reg.name, inner)

    def _forget_deleted(self, observed: Observed) -> None:
        live = {(r.namespace, r.name) for r in observed.registries}
        for namespace, name in self._known - live:
            self.metrics.forget(namespace, name)
        self._known = live


def run_forever(controller: Controller, elector: LeaderElector, stop: threading.Event) -> None:
    poll = controller.settings.poll_seconds
    while not stop.is_set():
        leading = elector.ensure(controller.clock())
        controller.metrics.leader.set(1 if leading else 0)
        if leading:
            try:
                report = controller.tick()
                if report.errors:
                    log.warning("tick: %d errors", len(report.errors))
            except Exception as exc:
                log.error("tick failed: %s: %s", type(exc).__name__, exc)
        else:
            controller.metrics.last_tick = time.monotonic()  # a healthy standby
        stop.wait(poll)
    elector.release()
