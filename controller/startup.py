"""The controller's start-up checks (does I/O: binds the metrics port, loads the kubeconfig).

Each failure is one line naming the REGSCAN_* setting to change, never a traceback:
settings that do not parse, a metrics port that cannot be bound, a kubeconfig that
cannot be loaded, S3 settings that do not work.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from typing import TypeVar

from pydantic import ValidationError

from controller.kube.client import KubeClient, KubeConfigError
from controller.metrics import Metrics
from controller.settings import PREFIX, Settings
from job_images.store.backends import S3Store, s3_settings_from_env
from regscan.common.errors import InvalidInput, OperationalError, StoreError

T = TypeVar("T")

BIND_FAILURES = {
    errno.EADDRINUSE: "address already in use (another controller or program on this host?)",
    errno.EACCES: "permission denied (ports below 1024 need privileges)",
    errno.EADDRNOTAVAIL: "address not available on this host",
}


class StartupError(OperationalError):
    """The controller cannot start; the message names the setting to change."""


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "?"
        value = error.get("input")
        shown = f" (got {value!r})" if isinstance(value, str | int | float) else ""
        raise InvalidInput(f"{PREFIX}{field.upper()}", f"{error['msg']}{shown}") from exc


def serve_metrics(metrics: Metrics, settings: Settings) -> None:
    """Bind /metrics, /healthz, /readyz now, so a taken port stops the start at once."""
    if not settings.metrics_port:
        return
    port = settings.metrics_port
    try:
        metrics.serve(port, healthy_within=3 * settings.poll_seconds + 60)
    except OSError as exc:
        why = BIND_FAILURES.get(exc.errno or 0, exc.strerror or type(exc).__name__)
        raise StartupError(
            f"cannot serve metrics on 0.0.0.0:{port}: {why}; set {PREFIX}METRICS_PORT to a "
            "free port, or 0 to turn metrics off"
        ) from exc


def kube_client(settings: Settings) -> KubeClient:
    try:
        return KubeClient.from_environment(settings.kubeconfig)
    except KubeConfigError as exc:
        where = (
            f"{PREFIX}KUBECONFIG={settings.kubeconfig}"
            if settings.kubeconfig
            else "in-cluster service account, $KUBECONFIG or ~/.kube/config"
        )
        raise StartupError(
            f"no usable Kubernetes configuration ({where}): {exc.detail}; set "
            f"{PREFIX}KUBECONFIG to a kubeconfig file, or run in a cluster"
        ) from exc


def s3_store(settings: Settings) -> S3Store:
    return _renamed(lambda: S3Store(s3_settings_from_env(settings.s3_endpoint, settings.s3_bucket)))


def _renamed(make: Callable[[], T]) -> T:
    """Errors naming a CLI option (`s3-bucket`, `--s3-endpoint`) name the setting instead."""
    endpoint = f"{PREFIX}S3_ENDPOINT"
    try:
        return make()
    except InvalidInput as exc:
        setting = PREFIX + exc.field.upper().replace("-", "_")
        raise InvalidInput(setting, exc.reason.replace("--s3-endpoint", endpoint)) from exc
    except StoreError as exc:
        text = str(exc).replace("--s3-endpoint", endpoint)
        if endpoint not in text:
            text += f"; check {endpoint} and {PREFIX}S3_BUCKET"
        raise StartupError(text) from exc
