"""Build `Observed` for a tick (does I/O): API lists, auth Secrets, store reads.

The dict -> observation converters are pure; reads of immutable store objects
(discovery results, merged run indexes) are cached, bounded, across ticks.
"""

from __future__ import annotations

import base64
import logging
from collections import OrderedDict
from typing import Any

from controller.core.observed import (
    AuthSecret,
    JobObs,
    ObjectObs,
    Observed,
    RegistryObs,
    RunData,
)
from controller.core.reads import RunReads, reads_needed
from controller.core.rescans import mirrors_to_check
from controller.dbwatch import DBWatch
from controller.kube.client import OWNED_SELECTOR, KubeApi
from controller.settings import Settings
from job_images.store.backends import ObjectStore
from regscan.common import layout
from regscan.common.discovery import DiscoveryResult
from regscan.common.reports import RescanPlan, RunIndex

log = logging.getLogger("regscan.controller")


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def registry_obs(obj: dict[str, Any]) -> RegistryObs:
    meta = _meta(obj)
    return RegistryObs(
        namespace=meta.get("namespace", ""),
        name=meta.get("name", ""),
        uid=meta.get("uid", ""),
        generation=int(meta.get("generation") or 0),
        spec=obj.get("spec") or {},
        status=obj.get("status") or {},
        annotations=meta.get("annotations") or {},
        deleting=bool(meta.get("deletionTimestamp")),
    )


def object_obs(obj: dict[str, Any]) -> ObjectObs:
    meta = _meta(obj)
    return ObjectObs(meta.get("name", ""), meta.get("labels") or {}, meta.get("annotations") or {})


def job_obs(obj: dict[str, Any]) -> JobObs:
    meta, status = _meta(obj), obj.get("status") or {}
    true = {c.get("type") for c in status.get("conditions") or [] if c.get("status") == "True"}
    return JobObs(
        name=meta.get("name", ""),
        labels=meta.get("labels") or {},
        annotations=meta.get("annotations") or {},
        active=int(status.get("active") or 0),
        succeeded="Complete" in true,
        failed="Failed" in true,
        failed_indexes=status.get("failedIndexes") or "",
        start_time=status.get("startTime"),
        completion_time=status.get("completionTime"),
    )


def auth_secret(obj: dict[str, Any] | None) -> AuthSecret | None:
    """A Secret's type and text values (a value that is not UTF-8 text is left out)."""
    if obj is None:
        return None
    data = {}
    for key, raw in (obj.get("data") or {}).items():
        try:
            data[key] = base64.b64decode(raw, validate=True).decode()
        except (ValueError, UnicodeDecodeError, TypeError):
            continue
    return AuthSecret(obj.get("type", ""), data)


def secrets_named(spec: dict[str, Any]) -> list[str]:
    """The Secrets a Registry spec names in its own namespace (registry and scanner auth)."""
    scanner = spec.get("scanner")
    names = [spec.get("authSecret")]
    if isinstance(scanner, dict):
        names.append(scanner.get("authSecret"))
    return [n for n in names if n and isinstance(n, str)]


class StoreReader:
    """Reads what `reads_needed` asks for; immutable objects are cached (LRU)."""

    def __init__(self, store: ObjectStore, cache_size: int = 64) -> None:
        self.store = store
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self._size = cache_size

    def _cached(self, key: str, parse: Any) -> Any:
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        data = self.store.get(key)
        if data is None:
            return None  # not cached: it may appear later
        value = parse(data)
        self._cache[key] = value
        while len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return value

    def run_data(self, want: RunReads) -> RunData:
        ns = want.namespace
        data = RunData()
        found = self._cached(
            layout.under(ns, layout.discovery_key(want.run)),
            lambda b: DiscoveryResult.model_validate_json(b).model_copy(update={"manifests": {}}),
        )
        data.discovery = found
        if want.rescan:
            data.rescan = self._cached(
                layout.under(ns, layout.rescan_plan_key(want.run)), RescanPlan.model_validate_json
            )
        if want.previous_run:
            data.previous = self._cached(
                layout.under(ns, layout.run_index_key(want.previous_run)),
                RunIndex.model_validate_json,
            )
        if want.shard_results:
            prefix = layout.under(ns, layout.shard_results_prefix(want.run))
            for key in self.store.list(prefix):
                shard = layout.shard_of_result_key(key)
                body = self.store.get(key) if shard is not None else None
                if shard is not None and body is not None:
                    data.shard_results[shard] = RunIndex.model_validate_json(body)
        return data


def observe(
    kube: KubeApi, reader: StoreReader, settings: Settings, db_watch: DBWatch | None = None
) -> Observed:
    namespaces: list[str | None] = list(settings.watched()) or [None]
    registries = [registry_obs(o) for ns in namespaces for o in kube.list("Registry", ns)]
    own = settings.namespace
    observed = Observed(
        registries=registries,
        cronjobs=[object_obs(o) for o in kube.list("CronJob", own, OWNED_SELECTOR)],
        jobs=[job_obs(o) for o in kube.list("Job", own, OWNED_SELECTOR)],
        secrets=[object_obs(o) for o in kube.list("Secret", own, OWNED_SELECTOR)],
    )
    for reg in registries:
        if reg.deleting:
            continue
        for name in secrets_named(reg.spec or {}):
            # read only from the Registry's own namespace: no cross-namespace references
            observed.auth[(reg.namespace, name)] = auth_secret(
                kube.get("Secret", reg.namespace, name)
            )
    if db_watch is not None:
        observed.db_digests = db_watch.digests(mirrors_to_check(observed, settings))
    for want in reads_needed(observed):
        try:
            observed.runs[want.run] = reader.run_data(want)
        except ValueError as exc:  # a corrupt object: the Registry shows it, others go on
            log.warning("run %s: unreadable store object: %s", want.run, exc)
    return observed
