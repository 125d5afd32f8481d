"""What the loop observed, the decisions reconcile makes, and the Plan it returns (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from controller.core.reasons import RunOutcome
from regscan.common.discovery import DiscoveryResult
from regscan.common.reports import RescanPlan, RunIndex


@dataclass(frozen=True)
class RegistryObs:
    namespace: str
    name: str
    uid: str
    generation: int
    spec: dict[str, Any]
    status: dict[str, Any] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    deleting: bool = False


@dataclass(frozen=True)
class JobObs:
    name: str
    labels: dict[str, str]
    annotations: dict[str, str] = field(default_factory=dict)
    active: int = 0
    succeeded: bool = False  # condition Complete=True
    failed: bool = False  # condition Failed=True
    failed_indexes: str = ""
    start_time: str | None = None
    completion_time: str | None = None

    @property
    def finished(self) -> bool:
        """Complete, or Failed (some indexes failed), with no pod left running."""
        return not self.active and (self.succeeded or self.failed)


@dataclass(frozen=True)
class ObjectObs:
    """A CronJob or Secret we own: name, labels, annotations."""

    name: str
    labels: dict[str, str]
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AuthSecret:
    """A Secret a Registry names (`authSecret`, `scanner.authSecret`): its type and the
    values of its keys that are text."""

    type: str
    data: dict[str, str] = field(default_factory=dict)


@dataclass
class RunData:
    """What the store holds for a run the controller is working on."""

    discovery: DiscoveryResult | None = None
    shard_results: dict[int, RunIndex] = field(default_factory=dict)
    previous: RunIndex | None = None  # the Registry's last merged run index
    rescan: RescanPlan | None = None  # a rescan run's plan: only these digests are scanned


@dataclass
class Observed:
    registries: list[RegistryObs] = field(default_factory=list)
    cronjobs: list[ObjectObs] = field(default_factory=list)
    jobs: list[JobObs] = field(default_factory=list)
    secrets: list[ObjectObs] = field(default_factory=list)
    auth: dict[tuple[str, str], AuthSecret | None] = field(default_factory=dict)
    runs: dict[str, RunData] = field(default_factory=dict)
    # DB mirror (contracts.db_repository; "" = Trivy's default) -> its DB manifest digest,
    # None when the mirror did not answer or was not asked this tick
    db_digests: dict[str, str | None] = field(default_factory=dict)


Deletion = tuple[str, str, str]  # kind, namespace, name


@dataclass(frozen=True)
class Event:
    namespace: str
    name: str
    reason: str
    message: str
    type: str = "Normal"
    outcome: RunOutcome | None = None  # set on the Events that end a run


@dataclass(frozen=True)
class ConditionChange:
    type: str
    status: str
    reason: str
    message: str = ""


@dataclass(frozen=True)
class Decision:
    """One decision's part of a Registry's plan; decisions add up in order with `+`."""

    conditions: tuple[ConditionChange, ...] = ()
    fields: tuple[tuple[str, Any], ...] = ()  # status fields to set, in order
    apply: tuple[dict[str, Any], ...] = ()
    put_objects: tuple[tuple[str, bytes], ...] = ()
    delete: tuple[Deletion, ...] = ()
    events: tuple[Event, ...] = ()

    def __add__(self, other: Decision) -> Decision:
        return Decision(
            self.conditions + other.conditions,
            self.fields + other.fields,
            self.apply + other.apply,
            self.put_objects + other.put_objects,
            self.delete + other.delete,
            self.events + other.events,
        )


@dataclass
class RegistryPlan:
    """Everything the loop does for one Registry, in this order: store objects, API
    objects, deletions, the status (None: unchanged), Events.
    """

    namespace: str
    name: str
    put_objects: list[tuple[str, bytes]] = field(default_factory=list)
    apply: list[dict[str, Any]] = field(default_factory=list)
    delete: list[Deletion] = field(default_factory=list)
    status: dict[str, Any] | None = None
    events: list[Event] = field(default_factory=list)


@dataclass
class Plan:
    """The tick's plan: one RegistryPlan per live Registry, then the clean-up deletions."""

    registries: list[RegistryPlan] = field(default_factory=list)
    cleanup: list[Deletion] = field(default_factory=list)

    @property
    def apply(self) -> list[dict[str, Any]]:
        return [o for r in self.registries for o in r.apply]

    @property
    def delete(self) -> list[Deletion]:
        return [d for r in self.registries for d in r.delete] + self.cleanup

    @property
    def put_objects(self) -> list[tuple[str, bytes]]:
        return [o for r in self.registries for o in r.put_objects]

    @property
    def status(self) -> list[tuple[str, str, dict[str, Any]]]:
        return [(r.namespace, r.name, r.status) for r in self.registries if r.status is not None]

    @property
    def events(self) -> list[Event]:
        return [e for r in self.registries for e in r.events]
