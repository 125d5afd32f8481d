"""The polling loop (does I/O): observe -> reconcile -> apply the plan, Registry by Registry.

The loop applies exactly what `reconcile` returns. It is the only place that catches
broadly: a Registry whose plan cannot be applied gets the plan of `on_failure`
(`Degraded=True`, reason ReconcileError) and the loop goes on with the others.
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
from controller.core.observed import Deletion, Event, Observed, RegistryObs, RegistryPlan
from controller.core.reconcile import on_failure, reconcile
from controller.core.status import merge_patch
from controller.dbwatch import DBWatch
from controller.kube.client import KubeApi, KubeError
from controller.leader import LeaderElector
from controller.metrics import Metrics
from controller.observe import StoreReader, observe
from controller.settings import Settings
from job_images.store.backends import ObjectStore
from regscan.common.timeutil import iso, utcnow

log = logging.getLogger("regscan.controller")


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
        db_watch: DBWatch | None = None,
    ) -> None:
        self.kube, self.store, self.settings = kube, store, settings
        self.reader = StoreReader(store)
        self.db_watch = db_watch if db_watch is not None else DBWatch(settings)
        self.metrics = metrics or Metrics()
        self.clock = clock
        self._known: set[tuple[str, str]] = set()

    def tick(self) -> TickReport:
        started = time.monotonic()
        now = self.clock()
        report = TickReport()
        observed = observe(self.kube, self.reader, self.settings, self.db_watch)
        report.registries = len(observed.registries)
        plan = reconcile(observed, self.settings, now)
        registries = {(r.namespace, r.name): r for r in observed.registries}
        for part in plan.registries:
            reg = registries[(part.namespace, part.name)]
            try:
                self._execute(part, reg, report)
            except Exception as exc:  # the one broad catch: record it, go on with the others
                self._failed(reg, exc, now, report)
        self._deletions(plan.cleanup, report)
        self._forget_deleted(observed)
        report.seconds = time.monotonic() - started
        self.metrics.ticks.inc()
        self.metrics.tick_seconds.observe(report.seconds)
        self.metrics.registries.set(report.registries)
        self.metrics.last_tick = time.monotonic()
        return report

    def _execute(self, plan: RegistryPlan, reg: RegistryObs, report: TickReport) -> None:
        for key, body in plan.put_objects:
            self.store.put(key, body)
        for obj in plan.apply:
            self.kube.apply(obj)
            report.applied += 1
        self._deletions(plan.delete, report)
        if plan.status is not None:
            self._publish(reg, plan.status, report)
            self.metrics.publish_status(plan.namespace, plan.name, plan.status)
        for ev in plan.events:
            self._event(reg, ev)

    def _publish(self, reg: RegistryObs, status: dict[str, Any], report: TickReport) -> None:
        patch = merge_patch(reg.status or {}, status)
        if patch:
            self._patch_status(reg.namespace, reg.name, patch)
            report.status_patches += 1

    def _patch_status(self, namespace: str, name: str, patch: dict[str, Any]) -> None:
        try:
            self.kube.patch_status(namespace, name, {"status": patch})
        except KubeError as exc:
            if exc.status != 404:  # deleted meanwhile: nothing to report on
                raise

    def _deletions(self, deletions: list[Deletion], report: TickReport) -> None:
        for kind, namespace, name in deletions:
            try:
                self.kube.delete(kind, namespace, name)
                report.deleted += 1
            except KubeError as exc:
                report.errors.append(str(exc))
                log.warning("delete %s %s/%s: %s", kind, namespace, name, exc)

    def _event(self, reg: RegistryObs, ev: Event) -> None:
        obj = builders.event_object(
            reg.namespace, reg.name, reg.uid, ev.reason, ev.message, ev.type, iso(self.clock())
        )
        try:
            self.kube.create(obj)
        except KubeError as exc:
            if not exc.conflict:  # 409: emitted before (same content)
                log.warning("event %s for %s/%s: %s", ev.reason, reg.namespace, reg.name, exc)
        if ev.outcome is not None:
            self.metrics.runs.labels(reg.namespace, reg.name, ev.outcome.value).inc()
        log.info("%s/%s: %s: %s", reg.namespace, reg.name, ev.reason, ev.message)

    def _failed(
        self, reg: RegistryObs, exc: Exception, now: dt.datetime, report: TickReport
    ) -> None:
        message = f"{type(exc).__name__}: {exc}"[:512]
        report.errors.append(f"{reg.namespace}/{reg.name}: {message}")
        self.metrics.errors.labels(reg.namespace, reg.name).inc()
        log.error("%s/%s: %s", reg.namespace, reg.name, message)
        failure = on_failure(reg, message, now)
        try:
            if failure.status is not None:
                self._publish(reg, failure.status, report)
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
