"""What the loop observed, and the Plan reconcile returns (pure dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from regscan.common.discovery import DiscoveryResult
from regscan.common.reports import RunIndex


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
    type: str
    docker_config_json: str | None


@dataclass
class RunData:
    """What the store holds for a run the controller is working on."""

    discovery: DiscoveryResult | None = None
    shard_results: dict[int, RunIndex] = field(default_factory=dict)
    previous: RunIndex | None = None  # the Registry's last merged run index


@dataclass
class Observed:
    registries: list[RegistryObs] = field(default_factory=list)
    cronjobs: list[ObjectObs] = field(default_factory=list)
    jobs: list[JobObs] = field(default_factory=list)
    secrets: list[ObjectObs] = field(default_factory=list)
    auth: dict[tuple[str, str], AuthSecret | None] = field(default_factory=dict)
    runs: dict[str, RunData] = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    namespace: str
    name: str
    reason: str
    message: str
    type: str = "Normal"


@dataclass
class Plan:
    apply: list[dict[str, Any]] = field(default_factory=list)
    delete: list[tuple[str, str, str]] = field(default_factory=list)  # kind, namespace, name
    put_objects: list[tuple[str, bytes]] = field(default_factory=list)
    status: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
