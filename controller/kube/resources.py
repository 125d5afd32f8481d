"""Where each kind the controller touches lives in the API (pure): one table."""

from __future__ import annotations

from dataclasses import dataclass

from controller.api import labels as L


@dataclass(frozen=True)
class Resource:
    group_version: str  # "v1", "batch/v1", ...
    plural: str

    def path(self, namespace: str | None = None, name: str | None = None, sub: str = "") -> str:
        base = "/api/v1" if self.group_version == "v1" else f"/apis/{self.group_version}"
        if namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        if name:
            base += f"/{name}"
        if sub:
            base += f"/{sub}"
        return base


RESOURCES: dict[str, Resource] = {
    "Registry": Resource(L.API_VERSION, L.PLURAL),
    "CronJob": Resource("batch/v1", "cronjobs"),
    "Job": Resource("batch/v1", "jobs"),
    "Secret": Resource("v1", "secrets"),
    "Event": Resource("v1", "events"),
    "Lease": Resource("coordination.k8s.io/v1", "leases"),
}
