"""Leader election with a coordination.k8s.io/v1 Lease, so two replicas are safe.

`lease_action` is the pure decision; `LeaderElector` does the API calls. A holder
renews every tick; another replica takes over once the lease has expired. Writes
use the Lease's resourceVersion, so two replicas racing for it get a 409 and one wins.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Literal

from controller.kube.client import KubeApi, KubeError
from regscan.common.timeutil import micro_iso, parse_time

log = logging.getLogger("regscan.leader")
LEASE_NAME = "regscan-controller"
Action = Literal["create", "renew", "acquire", "follow"]


def lease_action(lease: dict[str, Any] | None, identity: str, now: dt.datetime) -> Action:
    if lease is None:
        return "create"
    spec = lease.get("spec") or {}
    holder = spec.get("holderIdentity") or ""
    if holder == identity:
        return "renew"
    renewed = parse_time(spec.get("renewTime")) or parse_time(spec.get("acquireTime"))
    duration = dt.timedelta(seconds=int(spec.get("leaseDurationSeconds") or 0))
    if not holder or renewed is None or now > renewed + duration:
        return "acquire"
    return "follow"


class LeaderElector:
    def __init__(
        self, kube: KubeApi, namespace: str, identity: str, duration_seconds: int = 30
    ) -> None:
        self.kube, self.namespace, self.identity = kube, namespace, identity
        self.duration = duration_seconds
        self.leading = False

    def _spec(self, now: dt.datetime, spec: dict[str, Any], transitions: int) -> dict[str, Any]:
        return {
            **spec,
            "holderIdentity": self.identity,
            "leaseDurationSeconds": self.duration,
            "renewTime": micro_iso(now),
            "leaseTransitions": transitions,
        }

    def ensure(self, now: dt.datetime) -> bool:
        """True when this replica holds the lease (acquired or renewed now)."""
        try:
            self.leading = self._ensure(now)
        except KubeError as exc:
            log.warning("leader election: %s", exc)
            self.leading = False
        return self.leading

    def _ensure(self, now: dt.datetime) -> bool:
        lease = self.kube.get("Lease", self.namespace, LEASE_NAME)
        action = lease_action(lease, self.identity, now)
        if action == "follow":
            return False
        if lease is None:
            obj = {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": LEASE_NAME, "namespace": self.namespace},
                "spec": self._spec(now, {"acquireTime": micro_iso(now)}, 0),
            }
            return self._write(self.kube.create, obj, "acquired (new lease)")
        spec = lease.get("spec") or {}
        transitions = int(spec.get("leaseTransitions") or 0)
        if action == "acquire":
            spec = {**spec, "acquireTime": micro_iso(now)}
            transitions += 1
        lease["spec"] = self._spec(now, spec, transitions)
        note = "acquired (previous holder expired)" if action == "acquire" else ""
        return self._write(self.kube.replace, lease, note)

    def _write(self, fn: Any, obj: dict[str, Any], note: str) -> bool:
        try:
            fn(obj)
        except KubeError as exc:
            if exc.conflict:  # another replica wrote first
                return False
            raise
        if note:
            log.info("leader election: %s is leader, %s", self.identity, note)
        return True

    def release(self) -> None:
        """Hand the lease over at shutdown, so a standby need not wait for expiry."""
        if not self.leading:
            return
        try:
            lease = self.kube.get("Lease", self.namespace, LEASE_NAME)
            if lease and (lease.get("spec") or {}).get("holderIdentity") == self.identity:
                lease["spec"]["holderIdentity"] = ""
                self.kube.replace(lease)
        except KubeError as exc:
            log.warning("leader election: release failed: %s", exc)
        self.leading = False
