"""reconcile(observed, settings, now) -> Plan: every controller decision, pure.

Names are deterministic and state is re-derived from labels, Job conditions, the
Registry status and the store, so a restarted controller plans the same work.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from controller.api import labels as L
from controller.core import builders, naming
from controller.core.observed import Event, JobObs, Observed, Plan, RegistryObs, RunData
from controller.core.reads import latest_discovery, owned_by, scan_job_of
from controller.core.runindex import known_scanners, merge_run, newest_scanner
from controller.core.schedule import next_time
from controller.core.sharding import digests_to_scan, make_shards
from controller.core.status import set_condition, summarize_run
from controller.core.validation import parse_spec
from controller.settings import Settings
from regscan.common import layout
from regscan.common.errors import InvalidInput
from regscan.common.registry import LastDiscovery, RegistrySpec, RegistryStatus
from regscan.common.reports import ShardSpec
from regscan.common.timeutil import iso

DOCKERCONFIG = "kubernetes.io/dockerconfigjson"


def reconcile(observed: Observed, settings: Settings, now: dt.datetime) -> Plan:
    plan = Plan()
    for reg in observed.registries:
        reconcile_registry(reg, observed, settings, now, plan)
    cleanup(observed, settings, plan)
    return plan


def reconcile_registry(
    reg: RegistryObs, observed: Observed, settings: Settings, now: dt.datetime, plan: Plan
) -> None:
    """One Registry's part of the plan (the loop calls this per Registry to isolate faults)."""
    if reg.deleting:
        return
    mine = Plan()
    _Registry(reg, observed, settings, now, mine).run()
    _skip_unchanged(mine, observed)
    plan.apply += mine.apply
    plan.delete += mine.delete
    plan.put_objects += mine.put_objects
    plan.status += mine.status
    plan.events += mine.events


def _skip_unchanged(plan: Plan, observed: Observed) -> None:
    """Stamp each desired object with its hash; drop those already applied as they are.

    Jobs are immutable once created, so an existing Job of the same name is left alone.
    """
    seen = {("CronJob", o.name): o.annotations for o in observed.cronjobs}
    seen |= {("Secret", o.name): o.annotations for o in observed.secrets}
    jobs = {j.name for j in observed.jobs}
    keep = []
    for obj in plan.apply:
        name = obj["metadata"]["name"]
        if obj["kind"] == "Job":
            if name not in jobs:
                keep.append(obj)
            continue
        digest = builders.object_hash(obj)
        obj["metadata"].setdefault("annotations", {})[L.APPLIED_HASH] = digest
        if seen.get((obj["kind"], name), {}).get(L.APPLIED_HASH) != digest:
            keep.append(obj)
    plan.apply = keep


def cleanup(observed: Observed, settings: Settings, plan: Plan) -> None:
    """Objects of deleted Registries (owner references cannot cross namespaces)."""
    live = {(r.namespace, r.name) for r in observed.registries if not r.deleting}

    def gone(lbl: dict[str, str]) -> bool:
        return (lbl.get(L.REGISTRY_NAMESPACE, ""), lbl.get(L.REGISTRY_NAME, "")) not in live

    for kind, items in (
        ("CronJob", observed.cronjobs),
        ("Job", observed.jobs),
        ("Secret", observed.secrets),
    ):
        for obj in items:
            if gone(obj.labels):
                plan.delete.append((kind, settings.namespace, obj.name))


class _Registry:
    def __init__(
        self, reg: RegistryObs, observed: Observed, settings: Settings, now: dt.datetime, plan: Plan
    ) -> None:
        self.reg, self.obs, self.settings, self.now, self.plan = reg, observed, settings, now, plan
        self.status = RegistryStatus.model_validate(reg.status or {})
        self.status.observedGeneration = reg.generation
        self.jobs = [j for j in observed.jobs if owned_by(j.labels, reg)]

    def condition(self, type_: str, status: str, reason: str, message: str = "") -> None:
        self.status.conditions = set_condition(
            self.status.conditions, type_, status, reason, message, self.now, self.reg.generation
        )

    def event(self, reason: str, message: str, type_: str = "Normal") -> None:
        self.plan.events.append(Event(self.reg.namespace, self.reg.name, reason, message, type_))

    def run(self) -> None:
        degraded = next((c for c in self.status.conditions if c.type == "Degraded"), None)
        if degraded is not None and degraded.reason == "ReconcileError":
            self.condition("Degraded", "False", "Recovered")  # the loop sets it again if not
        spec = self._spec()
        if spec is None:
            return self._publish()
        auth = self._auth(spec)
        if auth is False:
            return self._publish()
        secret = auth if isinstance(auth, str) else None
        cron = builders.discovery_cronjob(
            self.reg.namespace, self.reg.name, spec, builders.spec_hash(spec), self.settings, secret
        )
        self._manual_trigger(cron)
        self.plan.apply.append(cron)
        self.status.nextScheduleTime = (
            None if spec.suspend else iso(next_time(spec.schedule, self.now))
        )
        self.condition(
            "Ready", "True", "Scheduled", f"discovery CronJob {cron['metadata']['name']}"
        )
        self._discovery(spec, secret)
        self._publish()

    def _spec(self) -> RegistrySpec | None:
        try:
            return parse_spec(self.reg.spec)
        except InvalidInput as exc:
            self._invalid(exc.field, exc.reason)
            return None

    def _invalid(self, field: str, message: str, reason: str = "InvalidSpec") -> None:
        self.condition("Ready", "False", reason, f"{field}: {message}")
        self.status.nextScheduleTime = None
        for cron in self.obs.cronjobs:  # no new runs from an invalid spec
            if owned_by(cron.labels, self.reg):
                self.plan.delete.append(("CronJob", self.settings.namespace, cron.name))

    def _auth(self, spec: RegistrySpec) -> str | bool:
        """The name of our copy of the auth Secret, True without one, False when broken."""
        if not spec.authSecret:
            return True
        found = self.obs.auth.get((self.reg.namespace, spec.authSecret))
        if found is None:
            self._invalid(
                "spec.authSecret",
                f"Secret {spec.authSecret} not found in namespace {self.reg.namespace}",
                "AuthSecretNotFound",
            )
            return False
        if found.type != DOCKERCONFIG or not found.docker_config_json:
            self._invalid(
                "spec.authSecret",
                f"Secret {spec.authSecret} must be of type "
                f"{DOCKERCONFIG} with key .dockerconfigjson",
                "AuthSecretInvalid",
            )
            return False
        name = naming.dns_name("rs-auth", self.reg.namespace, self.reg.name)
        self.plan.apply.append(
            builders.auth_secret_copy(
                self.reg.namespace, self.reg.name, name, found.docker_config_json, self.settings
            )
        )
        return name

    def _manual_trigger(self, cron: dict[str, Any]) -> None:
        request = self.reg.annotations.get(L.SCAN_REQUESTED)
        handled = next(
            (
                c.annotations.get(L.HANDLED_REQUEST)
                for c in self.obs.cronjobs
                if c.name == cron["metadata"]["name"]
            ),
            None,
        )
        if request:
            cron["metadata"]["annotations"][L.HANDLED_REQUEST] = request
        if request and request != handled:
            self.plan.apply.append(builders.manual_discovery_job(cron, request))
            self.event("ScanRequested", f"discovery started by annotation ({request})")

    def _discovery(self, spec: RegistrySpec, secret: str | None) -> None:
        disc = [j for j in self.jobs if j.labels.get(L.COMPONENT) == "discovery"]
        self.condition(
            "Discovering",
            "True" if any(j.active for j in disc) else "False",
            "Running" if any(j.active for j in disc) else "Idle",
        )
        latest = latest_discovery(self.jobs, self.reg)
        failed = [j for j in disc if j.failed]
        if failed and latest is None:
            self.condition("Degraded", "True", "DiscoveryFailed", f"Job {failed[-1].name} failed")
        if latest is None:
            self.condition("Scanning", "False", "Idle")
            return
        self._scan(spec, latest, secret)

    def _scan(self, spec: RegistrySpec, disc_job: JobObs, secret: str | None) -> None:
        run = disc_job.name
        last = self.status.lastScan
        if last is not None and last.runId == run and last.completionTime:
            self.condition("Scanning", "False", "Idle")
            return  # this run is summarized already
        data = self.obs.runs.get(run)
        if data is None or data.discovery is None:
            self.condition(
                "Degraded",
                "True",
                "DiscoveryResultMissing",
                f"no discovery result for run {run} in the store",
            )
            return
        found = data.discovery
        self.status.lastDiscovery = LastDiscovery(
            runId=run,
            completionTime=disc_job.completion_time,
            repositories=found.stats.repositories,
            tags=found.stats.tags,
            images=len(found.images),
        )
        scan_job = scan_job_of(self.jobs, self.reg, run)
        if scan_job is None:
            return self._start_scan(spec, run, data, secret)
        if not scan_job.finished:
            self.condition("Scanning", "True", "Running", f"Job {scan_job.name}")
            return
        self._finish(spec, run, scan_job, data)

    def _todo(self, spec: RegistrySpec, data: RunData) -> list[Any]:
        assert data.discovery is not None
        prev = data.previous
        known = known_scanners(prev)
        if prev is not None and prev.policy_hash != builders.policy_hash(spec):
            known = {}  # a policy change: every image is checked again (reports are re-used)
        stale = None
        if self.settings.rescan_after_hours > 0:
            stale = iso(self.now - dt.timedelta(hours=self.settings.rescan_after_hours))
        current = newest_scanner(list(known.values()))
        return digests_to_scan(data.discovery.images, known, current, stale)

    def _start_scan(self, spec: RegistrySpec, run: str, data: RunData, secret: str | None) -> None:
        images = data.discovery.images if data.discovery else []
        todo = self._todo(spec, data)
        shards = make_shards(todo, spec.scan.batchSize)
        if not shards:
            self._finish(spec, run, None, data)
            self.event(
                "ScanSkipped", f"run {run}: nothing to scan, all {len(images)} images current"
            )
            return
        url = spec.url.rstrip("/")
        for i, shard in enumerate(shards):
            body = ShardSpec(
                runId=run,
                shard=i,
                registryUrl=url,
                images=[e.model_dump(by_alias=True) for e in shard],
            )
            self.plan.put_objects.append(
                (layout.under(self.reg.namespace, layout.shard_key(run, i)), body.to_json())
            )
        run_secret = None
        if secret:
            run_secret = naming.auth_secret_name(run)
            copy = next(o for o in self.plan.apply if o["metadata"]["name"] == secret)
            self.plan.apply.append(
                builders.auth_secret_copy(
                    self.reg.namespace,
                    self.reg.name,
                    run_secret,
                    copy["stringData"][".dockerconfigjson"],
                    self.settings,
                    run,
                )
            )
        self.plan.apply.append(
            builders.scan_job(
                self.reg.namespace, self.reg.name, run, len(shards), spec, self.settings, run_secret
            )
        )
        self.condition("Scanning", "True", "Started", f"{len(todo)} images in {len(shards)} shards")
        self.event("ScanStarted", f"run {run}: {len(todo)} images in {len(shards)} shards")

    def _finish(self, spec: RegistrySpec, run: str, job: JobObs | None, data: RunData) -> None:
        assert data.discovery is not None
        start = (job.start_time if job else None) or iso(self.now)
        merged = merge_run(
            run,
            spec.url.rstrip("/"),
            data.discovery.images,
            [data.shard_results[k] for k in sorted(data.shard_results)],
            data.previous,
            start,
            iso(self.now),
            builders.policy_hash(spec),
        )
        key = layout.under(self.reg.namespace, layout.run_index_key(run))
        self.plan.put_objects.append((key, merged.to_json()))
        last, vulns, policy = summarize_run(merged, start)
        self.status.lastScan, self.status.vulnerabilities, self.status.policy = last, vulns, policy
        self.status.reports = f"s3://{self.settings.s3_bucket}/{key}"
        self.condition("Scanning", "False", "Idle")
        if job is not None and (job.failed or job.failed_indexes):
            self.condition(
                "Degraded",
                "True",
                "ShardsFailed",
                f"Job {job.name} failed indexes: {job.failed_indexes or 'all'}",
            )
            self.event("ScanFailed", f"run {run}: failed indexes {job.failed_indexes}", "Warning")
        else:
            self.condition("Degraded", "False", "Healthy")
            self.event(
                "ScanFinished",
                f"run {run}: {last.images} images, {last.failed} failed, {vulns.critical} critical",
            )
        for secret in self.obs.secrets:
            if secret.labels.get(L.RUN_ID) == run:
                self.plan.delete.append(("Secret", self.settings.namespace, secret.name))

    def _publish(self) -> None:
        new = self.status.model_dump(mode="json", exclude_none=True)
        if new != (self.reg.status or {}):
            self.plan.status.append((self.reg.namespace, self.reg.name, new))
