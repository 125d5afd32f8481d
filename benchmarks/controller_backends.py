"""The two API servers the controller benchmark runs against (does I/O).

`MemoryBackend`: the test bench's in-memory stand-in with a fixed latency per request.
`ApiServerBackend`: a real kube-apiserver through the controller's own `KubeClient`
(from a kubeconfig), counting every HTTP request. Both play the Job controller
(there is none in envtest): a discovery Job made from the CronJob's template, as the
CronJob controller makes it, and Jobs marked Complete through the status subresource.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from controller.api import labels as L
from controller.api.crd import build_crd
from controller.kube.client import KubeApi, KubeClient, KubeError
from tests.bench.apiserver import job_done_status
from tests.bench.fakekube import FakeKube

WHEN = "2026-11-22T09:59:00Z"


class SlowKube(FakeKube):
    """Adds a fixed round-trip per API request, like a nearby API server."""

    delay = 0.0

    def _check(self, method: str, kind: str, name: str) -> None:
        time.sleep(self.delay)
        super()._check(method, kind, name)


class MemoryBackend:
    label = "in-memory"

    def __init__(self, api_ms: float) -> None:
        self.kube = SlowKube()
        self.api_delay = api_ms / 1000
        self.own, self.ns = "regscan-system", "bench"

    def counting(self, on: bool) -> None:
        SlowKube.delay = self.api_delay if on else 0.0

    def requests(self) -> list[str]:
        return [method for method, _, _ in self.kube.calls]

    def add_registry(self, name: str, spec: dict[str, Any]) -> None:
        self.kube.put_registry(self.ns, name, spec)

    def start_discovery(self, cron: dict[str, Any], run: str) -> None:
        template = cron["spec"]["jobTemplate"]
        self.kube.objects[("Job", self.own, run)] = {
            "kind": "Job",
            "metadata": {"name": run, "namespace": self.own, **template["metadata"]},
            "spec": template["spec"],
        }

    def finish(self, job: dict[str, Any]) -> None:
        self.kube.job_finished(self.own, job["metadata"]["name"], True, WHEN)

    def close(self) -> None:
        return


class CountingClient(KubeClient):
    """KubeClient that records the method of every HTTP request it sends."""

    def __init__(self, api_client: Any) -> None:
        super().__init__(api_client)
        self.sent: list[str] = []

    def _call(self, method: str, path: str, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        self.sent.append(method)
        return super()._call(method, path, *args, **kwargs)


class ApiServerBackend:
    label = "kube-apiserver"

    def __init__(self, kubeconfig: str) -> None:
        self.kube = CountingClient(KubeClient.from_environment(kubeconfig)._api)
        suffix = secrets.token_hex(3)  # a fresh pair of namespaces per run
        self.own, self.ns = f"regscan-bench-{suffix}", f"bench-{suffix}"
        self._install()

    def _install(self) -> None:
        from kubernetes import client
        from kubernetes.client.exceptions import ApiException

        api = self.kube._api
        try:
            client.ApiextensionsV1Api(api).create_custom_resource_definition(build_crd())  # type: ignore[arg-type]
        except ApiException as exc:
            if exc.status != 409:
                raise
        crd = f"{L.PLURAL}.{L.GROUP}"
        for _ in range(300):
            got = client.ApiextensionsV1Api(api).read_custom_resource_definition(crd)
            conditions = (got.status.conditions if got.status else None) or []
            if any(c.type == "Established" and c.status == "True" for c in conditions):
                break
            time.sleep(0.2)
        for ns in (self.own, self.ns):
            client.CoreV1Api(api).create_namespace(
                client.V1Namespace(metadata=client.V1ObjectMeta(name=ns))
            )

    def counting(self, on: bool) -> None:
        return

    def requests(self) -> list[str]:
        return self.kube.sent

    def add_registry(self, name: str, spec: dict[str, Any]) -> None:
        self.kube.create(
            {
                "apiVersion": L.API_VERSION,
                "kind": L.KIND,
                "metadata": {"name": name, "namespace": self.ns},
                "spec": spec,
            }
        )

    def start_discovery(self, cron: dict[str, Any], run: str) -> None:
        template = cron["spec"]["jobTemplate"]
        self.kube.create(
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {"name": run, "namespace": self.own, **template["metadata"]},
                "spec": template["spec"],
            }
        )

    def finish(self, job: dict[str, Any]) -> None:
        meta, spec = job["metadata"], job["spec"]
        indexed = spec.get("completionMode") == "Indexed"
        status = job_done_status(int(spec.get("completions") or 1), indexed)
        path = f"/apis/batch/v1/namespaces/{self.own}/jobs/{meta['name']}/status"
        self.kube._call(
            "PATCH", path, body={"status": status}, content_type="application/merge-patch+json"
        )

    def close(self) -> None:
        """Namespaces go (in a cluster with a namespace controller; envtest is thrown away)."""
        from kubernetes import client

        for ns in (self.ns, self.own):
            try:
                client.CoreV1Api(self.kube._api).delete_namespace(ns)
            except Exception as exc:  # best effort: the figures are printed already
                print(f"note: namespace {ns} not deleted: {exc}")


Backend = MemoryBackend | ApiServerBackend


def kube_of(backend: Backend) -> KubeApi:
    return backend.kube


__all__ = ["ApiServerBackend", "Backend", "KubeError", "MemoryBackend", "kube_of"]
