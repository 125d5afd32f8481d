"""Kubernetes objects as plain dicts: discovery CronJob, scan Indexed Job, rescan Job, run
Secret (pure)."""

from __future__ import annotations

import json
from typing import Any

from controller.api import labels as L
from controller.core import naming
from controller.core.contracts import discovery_contract, rescan_contract, scan_contract
from controller.core.schedule import normalize
from controller.settings import Settings
from job_images.credentials import DOCKERCONFIGJSON_KEY
from regscan.common.jobs import (
    DOCKER_CONFIG_DIR,
    S3_ACCESS_KEY_ENV,
    S3_SECRET_KEY_ENV,
    SCANNER_TOKEN_DIR,
    SCANNER_TOKEN_KEY,
    Contract,
    pod_env,
)
from regscan.common.registry import RegistrySpec

RESOURCES = {
    "requests": {"cpu": "250m", "memory": "256Mi"},
    "limits": {"cpu": "1", "memory": "1Gi"},
}


def registry_labels(namespace: str, name: str, component: str) -> dict[str, str]:
    return {
        L.MANAGED_BY: L.MANAGED_BY_VALUE,
        L.COMPONENT: component,
        L.REGISTRY_NAMESPACE: namespace,
        L.REGISTRY_NAME: name,
    }


def _pod_spec(
    settings: Settings,
    args: list[str],
    contract: Contract,
    auth_secret: str | None,
    scanner_secret: str | None = None,
) -> dict[str, Any]:
    volumes: list[dict[str, Any]] = [
        {"name": "tmp", "emptyDir": {}},
        {"name": "trivy-cache", "emptyDir": {}},
    ]
    mounts: list[dict[str, Any]] = [
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": "trivy-cache", "mountPath": "/var/cache/trivy"},
    ]
    for volume, secret, key, path, folder in (
        ("registry-auth", auth_secret, DOCKERCONFIGJSON_KEY, "config.json", DOCKER_CONFIG_DIR),
        ("scanner-auth", scanner_secret, SCANNER_TOKEN_KEY, SCANNER_TOKEN_KEY, SCANNER_TOKEN_DIR),
    ):
        if secret:
            items = [{"key": key, "path": path}]
            volumes.append({"name": volume, "secret": {"secretName": secret, "items": items}})
            mounts.append({"name": volume, "mountPath": folder, "readOnly": True})
    s3_env = [
        {
            "name": S3_ACCESS_KEY_ENV,
            "valueFrom": {"secretKeyRef": {"name": settings.s3_secret, "key": "accessKey"}},
        },
        {
            "name": S3_SECRET_KEY_ENV,
            "valueFrom": {"secretKeyRef": {"name": settings.s3_secret, "key": "secretKey"}},
        },
    ]
    return {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65532,
            "runAsGroup": 65532,
            "fsGroup": 65532,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [
            {
                "name": "regscan",
                "image": settings.job_image,
                "args": args,
                "env": [*s3_env, *pod_env(contract)],
                "resources": RESOURCES,
                "volumeMounts": mounts,
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "readOnlyRootFilesystem": True,
                    "capabilities": {"drop": ["ALL"]},
                },
            }
        ],
        "volumes": volumes,
    }


def _one_pod_job(
    settings: Settings,
    lbl: dict[str, str],
    args: list[str],
    contract: Contract,
    auth_secret: str | None,
) -> dict[str, Any]:
    """The spec of a run's one-pod Job (discovery, rescan): two retries, then the TTL."""
    return {
        "backoffLimit": 2,
        "ttlSecondsAfterFinished": settings.job_ttl_seconds,
        "template": {
            "metadata": {"labels": lbl},
            "spec": _pod_spec(settings, args, contract, auth_secret),
        },
    }


def discovery_cronjob(
    namespace: str,
    name: str,
    spec: RegistrySpec,
    spec_hash: str,
    settings: Settings,
    auth_secret: str | None,
) -> dict[str, Any]:
    """The per-Registry discovery CronJob. Its Jobs run `regscan job discover`."""
    lbl = registry_labels(namespace, name, "discovery")
    cron_name = naming.cronjob_name(namespace, name)
    contract = discovery_contract(namespace, spec, settings, cron_name, auth_secret)
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {
            "name": cron_name,
            "namespace": settings.namespace,
            "labels": lbl,
            "annotations": {L.SPEC_HASH: spec_hash},
        },
        "spec": {
            "schedule": normalize(spec.schedule),
            "suspend": spec.suspend,
            "concurrencyPolicy": "Forbid",
            "successfulJobsHistoryLimit": settings.cronjob_history,
            "failedJobsHistoryLimit": settings.cronjob_history,
            "jobTemplate": {
                "metadata": {"labels": lbl},
                "spec": _one_pod_job(settings, lbl, ["job", "discover"], contract, auth_secret),
            },
        },
    }


def manual_discovery_job(cronjob: dict[str, Any], request: str) -> dict[str, Any]:
    """What `kubectl create job --from=cronjob/...` makes, named after the request value."""
    meta = cronjob["metadata"]
    template = cronjob["spec"]["jobTemplate"]
    name = naming.dns_name("rs-manual", meta["name"], request)
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": meta["namespace"],
            "labels": dict(template["metadata"]["labels"]),
            "annotations": {L.SCAN_REQUESTED: request},
        },
        "spec": template["spec"],
    }


def scan_job(
    namespace: str,
    name: str,
    run: str,
    shards: int,
    spec: RegistrySpec,
    settings: Settings,
    auth_secret: str | None,
    scanner_secret: str | None = None,
) -> dict[str, Any]:
    """One Indexed Job per run: index i scans shard i."""
    lbl = {**registry_labels(namespace, name, "scan"), L.RUN_ID: run}
    contract = scan_contract(namespace, run, spec, settings, auth_secret, scanner_secret)
    job_spec: dict[str, Any] = {
        "completionMode": "Indexed",
        "completions": shards,
        "parallelism": min(spec.scan.parallelism, shards),
        "backoffLimitPerIndex": spec.scan.backoffLimitPerIndex,
        "maxFailedIndexes": shards,
        "ttlSecondsAfterFinished": settings.job_ttl_seconds,
        "template": {
            "metadata": {"labels": lbl},
            "spec": _pod_spec(settings, ["job", "scan"], contract, auth_secret, scanner_secret),
        },
    }
    if spec.scan.activeDeadlineSeconds:
        job_spec["activeDeadlineSeconds"] = spec.scan.activeDeadlineSeconds
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": naming.scan_job_name(run),
            "namespace": settings.namespace,
            "labels": lbl,
        },
        "spec": job_spec,
    }


def rescan_job(
    namespace: str,
    name: str,
    db_digest: str,
    from_run: str,
    spec: RegistrySpec,
    settings: Settings,
) -> dict[str, Any]:
    """After a DB update: a discovery-like Job whose run re-checks `from_run`'s images."""
    job_name = naming.rescan_job_name(namespace, name, db_digest)
    lbl = {**registry_labels(namespace, name, "discovery"), L.RUN_KIND: L.RESCAN}
    contract = rescan_contract(namespace, from_run, spec, settings)
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": job_name, "namespace": settings.namespace, "labels": lbl},
        "spec": _one_pod_job(settings, lbl, ["job", "rescan"], contract, None),
    }


def secret_copy(
    namespace: str,
    name: str,
    secret_name: str,
    type_: str,
    data: dict[str, str],
    settings: Settings,
    run: str | None = None,
) -> dict[str, Any]:
    """A copy of a Secret the Registry names, in the controller's namespace (with `run`:
    the run's copy, deleted when the run is summarized)."""
    lbl = registry_labels(namespace, name, "auth")
    if run:
        lbl[L.RUN_ID] = run
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": type_,
        "metadata": {"name": secret_name, "namespace": settings.namespace, "labels": lbl},
        "stringData": data,
    }


def spec_hash(spec: RegistrySpec) -> str:
    return naming.short_hash(json.dumps(spec.model_dump(mode="json"), sort_keys=True), length=16)


def policy_hash(spec: RegistrySpec) -> str:
    return naming.short_hash(
        json.dumps(spec.policy.model_dump(mode="json"), sort_keys=True), length=16
    )


def object_hash(obj: dict[str, Any]) -> str:
    """What the controller last applied, kept in an annotation to skip unchanged applies."""
    return naming.short_hash(json.dumps(obj, sort_keys=True), length=16)


def event_object(
    namespace: str,
    name: str,
    uid: str,
    reason: str,
    message: str,
    type_: str,
    timestamp: str,
) -> dict[str, Any]:
    """A core/v1 Event about a Registry, named after its content: a repeat is a 409."""
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": f"{name[:200]}.{naming.short_hash(uid, reason, message, length=16)}",
            "namespace": namespace,
            "labels": {L.MANAGED_BY: L.MANAGED_BY_VALUE},
        },
        "involvedObject": {
            "apiVersion": L.API_VERSION,
            "kind": L.KIND,
            "name": name,
            "namespace": namespace,
            "uid": uid,
        },
        "reason": reason,
        "message": message[:1024],
        "type": type_,
        "source": {"component": L.FIELD_MANAGER},
        "firstTimestamp": timestamp,
        "lastTimestamp": timestamp,
        "count": 1,
    }
