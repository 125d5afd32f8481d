"""An in-memory stand-in for the Kubernetes API, for the loop tests (test bench).

Used only because no kube-apiserver can be installed on this machine (the envtest
tier runs the real `KubeClient` against one where KUBEBUILDER_ASSETS provides it).
It keeps what the controller relies on: names unique per kind and namespace,
uid/resourceVersion/generation, 409 on create of an existing name and on a stale
replace, status only through `patch_status` (RFC 7386), label selectors, and it can
inject failures. `job_finished` plays the Job controller.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from controller.kube.client import KubeError

Key = tuple[str, str, str]  # kind, namespace, name


def merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = dict(target)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


@dataclass
class Fault:
    method: str
    kind: str
    status: int
    times: int = 1


@dataclass
class FakeKube:
    objects: dict[Key, dict[str, Any]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    calls: list[tuple[str, str, str]] = field(default_factory=list)  # method, kind, name
    _seq: Callable[[], int] = field(default_factory=lambda: itertools.count(1).__next__)

    # --- failure injection ------------------------------------------------------------
    def fail(self, method: str, kind: str, status: int, times: int = 1) -> None:
        self.faults.append(Fault(method, kind, status, times))

    def _check(self, method: str, kind: str, name: str) -> None:
        self.calls.append((method, kind, name))
        for f in self.faults:
            if f.method == method and f.kind in (kind, "*") and f.times > 0:
                f.times -= 1
                raise KubeError(f"{method} {kind}/{name}", f.status, "injected")

    # --- KubeApi --------------------------------------------------------------------------
    def list(
        self, kind: str, namespace: str | None, label_selector: str = "", field_selector: str = ""
    ) -> list[dict[str, Any]]:
        self._check("list", kind, namespace or "*")
        want = dict(p.split("=", 1) for p in label_selector.split(",") if p)
        out = []
        for (k, ns, _), obj in sorted(self.objects.items()):
            labels = obj["metadata"].get("labels") or {}
            if (
                k == kind
                and namespace in (None, ns)
                and all(labels.get(a) == b for a, b in want.items())
            ):
                out.append(copy.deepcopy(obj))
        return out

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        self._check("get", kind, name)
        obj = self.objects.get((kind, namespace, name))
        return copy.deepcopy(obj) if obj else None

    def _stamp(self, obj: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
        meta = obj.setdefault("metadata", {})
        meta["resourceVersion"] = str(self._seq())
        meta["uid"] = (old or {}).get("metadata", {}).get("uid") or f"uid-{meta['resourceVersion']}"
        generation = int((old or {}).get("metadata", {}).get("generation") or 0)
        if old is None or old.get("spec") != obj.get("spec"):
            generation += 1
        meta["generation"] = generation
        if old is not None and "status" in old:
            obj["status"] = old["status"]  # status changes only through its subresource
        return obj

    def apply(self, obj: dict[str, Any]) -> dict[str, Any]:
        meta = obj["metadata"]
        self._check("apply", obj["kind"], meta["name"])
        key = (obj["kind"], meta["namespace"], meta["name"])
        new = self._stamp(copy.deepcopy(obj), self.objects.get(key))
        self.objects[key] = new
        return copy.deepcopy(new)

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        meta = obj["metadata"]
        self._check("create", obj["kind"], meta["name"])
        key = (obj["kind"], meta["namespace"], meta["name"])
        if key in self.objects:
            raise KubeError(f"POST {obj['kind']}/{meta['name']}", 409, "already exists")
        self.objects[key] = self._stamp(copy.deepcopy(obj), None)
        return copy.deepcopy(self.objects[key])

    def replace(self, obj: dict[str, Any]) -> dict[str, Any]:
        meta = obj["metadata"]
        self._check("replace", obj["kind"], meta["name"])
        key = (obj["kind"], meta["namespace"], meta["name"])
        old = self.objects.get(key)
        if old is None:
            raise KubeError(f"PUT {obj['kind']}/{meta['name']}", 404, "not found")
        if meta.get("resourceVersion") != old["metadata"]["resourceVersion"]:
            raise KubeError(f"PUT {obj['kind']}/{meta['name']}", 409, "stale resourceVersion")
        self.objects[key] = self._stamp(copy.deepcopy(obj), old)
        return copy.deepcopy(self.objects[key])

    def delete(self, kind: str, namespace: str, name: str) -> None:
        self._check("delete", kind, name)
        self.objects.pop((kind, namespace, name), None)

    def patch_status(self, namespace: str, name: str, patch: dict[str, Any]) -> None:
        self._check("patch_status", "Registry", name)
        obj = self.objects.get(("Registry", namespace, name))
        if obj is None:
            raise KubeError(f"PATCH Registry/{name}/status", 404, "not found")
        obj["status"] = merge(obj.get("status") or {}, patch["status"])
        obj["metadata"]["resourceVersion"] = str(self._seq())

    # --- what users and other controllers do ----------------------------------------------
    def put_registry(self, namespace: str, name: str, spec: dict[str, Any], **meta: Any) -> None:
        key = ("Registry", namespace, name)
        old = self.objects.get(key)
        obj = {
            "apiVersion": "regscan.dev/v1alpha1",
            "kind": "Registry",
            "metadata": {"name": name, "namespace": namespace, **meta},
            "spec": spec,
        }
        self.objects[key] = self._stamp(obj, old)

    def registry(self, namespace: str, name: str) -> dict[str, Any]:
        return self.objects[("Registry", namespace, name)]

    def named(self, kind: str) -> list[dict[str, Any]]:
        return [o for (k, _, _), o in sorted(self.objects.items()) if k == kind]

    def job_started(self, namespace: str, name: str, start: str) -> None:
        job = self.objects[("Job", namespace, name)]
        job["status"] = {"active": 1, "startTime": start}

    def job_finished(
        self, namespace: str, name: str, ok: bool, when: str, failed_indexes: str = ""
    ) -> None:
        job = self.objects[("Job", namespace, name)]
        status = job.setdefault("status", {})
        status.setdefault("startTime", when)
        status["active"] = 0
        status["conditions"] = [{"type": "Complete" if ok else "Failed", "status": "True"}]
        if ok:
            status["completionTime"] = when
        if failed_indexes:
            status["failedIndexes"] = failed_indexes
