"""The Kubernetes API adapter (does I/O): list, server-side apply, delete, status, events.

`KubeApi` is the Protocol the loop depends on; `KubeClient` implements it over the
`kubernetes` library's ApiClient (which brings kubeconfig/in-cluster auth and TLS),
sending plain JSON so the controller's objects stay plain dicts. Library and HTTP
errors are re-raised as `KubeError` naming the method, path and status.
"""

from __future__ import annotations

import json
import os
from typing import Any, Protocol

from controller.api import labels as L
from controller.kube.resources import RESOURCES
from regscan.common.errors import OperationalError

OWNED_SELECTOR = f"{L.MANAGED_BY}={L.MANAGED_BY_VALUE}"


class KubeError(OperationalError):
    """An API request failed; `status` is the HTTP status (0: no response)."""

    def __init__(self, what: str, status: int, detail: str = "") -> None:
        super().__init__(f"kubernetes {what}: HTTP {status}" + (f": {detail}" if detail else ""))
        self.status = status

    @property
    def conflict(self) -> bool:
        return self.status == 409

    @property
    def retryable(self) -> bool:
        return self.status in (0, 409, 429) or self.status >= 500


class KubeConfigError(KubeError):
    """No usable kubeconfig or in-cluster configuration; `detail` says why."""

    def __init__(self, detail: str) -> None:
        OperationalError.__init__(self, f"kubernetes configuration: {detail}")
        self.status = 0
        self.detail = detail


class KubeApi(Protocol):
    def list(
        self, kind: str, namespace: str | None, label_selector: str = "", field_selector: str = ""
    ) -> list[dict[str, Any]]: ...
    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None: ...
    def apply(self, obj: dict[str, Any]) -> dict[str, Any]: ...
    def create(self, obj: dict[str, Any]) -> dict[str, Any]: ...
    def replace(self, obj: dict[str, Any]) -> dict[str, Any]: ...
    def delete(self, kind: str, namespace: str, name: str) -> None: ...
    def patch_status(self, namespace: str, name: str, patch: dict[str, Any]) -> None: ...


class KubeClient:
    """KubeApi over `kubernetes.client.ApiClient`."""

    def __init__(self, api_client: Any, timeout: float = 30.0) -> None:
        self._api = api_client
        self._timeout = timeout

    @classmethod
    def from_environment(cls, kubeconfig: str | None = None) -> KubeClient:
        """In-cluster service account, else the kubeconfig ($KUBECONFIG or ~/.kube/config)."""
        from kubernetes import client
        from kubernetes import config as _config

        config: Any = _config  # untyped library functions
        if kubeconfig:  # named: that file or an error, no fallback
            if not os.path.isfile(kubeconfig):
                raise KubeConfigError(f"{kubeconfig}: no such file")
            try:
                return cls(config.new_client_from_config(kubeconfig))
            except Exception as exc:  # the library's, YAML's, OS errors: all "unusable file"
                raise KubeConfigError(f"{kubeconfig}: {_first_line(exc)}") from exc
        try:
            config.load_incluster_config()
        except config.ConfigException:
            try:
                return cls(config.new_client_from_config())
            except Exception as exc:  # as above
                raise KubeConfigError(_first_line(exc)) from exc
        return cls(client.ApiClient())

    def _call(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]] | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> dict[str, Any] | None:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        what = f"{method} {path}"
        headers = {"Accept": "application/json", "Content-Type": content_type}
        try:
            params = self._api.param_serialize(
                method,
                path,
                query_params=query or [],
                header_params=headers,
                body=body,
                auth_settings=["BearerToken"],
            )
            response = self._api.call_api(*params, _request_timeout=self._timeout)
            data = response.read()
            status = int(response.status)
        except ApiException as exc:
            raise KubeError(what, int(exc.status or 0), str(exc.reason or "")) from exc
        except (HTTPError, OSError) as exc:
            raise KubeError(what, 0, type(exc).__name__) from exc
        if status == 404 and method in ("GET", "DELETE"):
            return None
        if not 200 <= status < 300:
            raise KubeError(what, status, _message(data))
        return json.loads(data) if data else {}

    def list(
        self, kind: str, namespace: str | None, label_selector: str = "", field_selector: str = ""
    ) -> list[dict[str, Any]]:
        query = [("limit", "500")]
        if label_selector:
            query.append(("labelSelector", label_selector))
        if field_selector:
            query.append(("fieldSelector", field_selector))
        items: list[dict[str, Any]] = []
        path = RESOURCES[kind].path(namespace)
        cont = ""
        while True:
            page = self._call("GET", path, [*query, ("continue", cont)] if cont else query) or {}
            items += page.get("items") or []
            cont = (page.get("metadata") or {}).get("continue") or ""
            if not cont:
                return items

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        return self._call("GET", RESOURCES[kind].path(namespace, name))

    def apply(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Server-side apply with the controller's field manager (force: we own these)."""
        meta = obj["metadata"]
        path = RESOURCES[obj["kind"]].path(meta["namespace"], meta["name"])
        query = [("fieldManager", L.FIELD_MANAGER), ("force", "true")]
        return self._call("PATCH", path, query, obj, "application/apply-patch+yaml") or {}

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        path = RESOURCES[obj["kind"]].path(obj["metadata"]["namespace"])
        query = [("fieldManager", L.FIELD_MANAGER)]
        return self._call("POST", path, query, obj) or {}

    def replace(self, obj: dict[str, Any]) -> dict[str, Any]:
        """PUT: optimistic concurrency through metadata.resourceVersion (409 when stale)."""
        meta = obj["metadata"]
        path = RESOURCES[obj["kind"]].path(meta["namespace"], meta["name"])
        return self._call("PUT", path, [("fieldManager", L.FIELD_MANAGER)], obj) or {}

    def delete(self, kind: str, namespace: str, name: str) -> None:
        body = {"propagationPolicy": "Background"}  # a Job's pods go with it
        self._call("DELETE", RESOURCES[kind].path(namespace, name), body=body)

    def patch_status(self, namespace: str, name: str, patch: dict[str, Any]) -> None:
        """A JSON merge patch of the status subresource only."""
        path = RESOURCES["Registry"].path(namespace, name, "status")
        self._call(
            "PATCH",
            path,
            [("fieldManager", L.FIELD_MANAGER)],
            patch,
            "application/merge-patch+json",
        )


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def _message(data: bytes) -> str:
    """The API's Status message, never a request body (which could hold a Secret)."""
    try:
        return str(json.loads(data).get("message", ""))[:300]
    except (ValueError, AttributeError):
        return ""
