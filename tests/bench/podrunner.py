"""Run a Job's pod the way the kubelet would, as a local process (test bench).

Takes the container's args and env from the Job the controller built (resolving
`fieldRef` job-name labels and `secretKeyRef`s against the fake API), maps the pod's
volumes to temporary folders (secret volumes get their items written), adds the
Job image's ENV, and runs `regscan` with them. What runs is the real entrypoint.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.bench.fakekube import FakeKube

# The Job image's ENV (job_images/Dockerfile), before the volume mapping.
IMAGE_ENV = {"HOME": "/tmp", "TRIVY_CACHE_DIR": "/var/cache/trivy"}


def job_from_cronjob(kube: FakeKube, cron: dict[str, Any], suffix: str) -> dict[str, Any]:
    """What the CronJob controller creates at a scheduled time."""
    template = cron["spec"]["jobTemplate"]
    name = f"{cron['metadata']['name']}-{suffix}"
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": cron["metadata"]["namespace"],
            "labels": dict(template["metadata"]["labels"]),
        },
        "spec": template["spec"],
    }
    return kube.create(job)


def _secret_value(kube: FakeKube, namespace: str, name: str, key: str) -> str:
    secret = kube.objects[("Secret", namespace, name)]
    if key in (secret.get("stringData") or {}):
        return str(secret["stringData"][key])
    return base64.b64decode(secret["data"][key]).decode()


def run_pod(
    kube: FakeKube,
    job: dict[str, Any],
    workdir: Path,
    index: int | None = None,
    extra_env: dict[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    namespace, name = job["metadata"]["namespace"], job["metadata"]["name"]
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    pod_dir = workdir / f"{name}-{index if index is not None else 'pod'}"
    pod_dir.mkdir(parents=True, exist_ok=True)
    mounts: dict[str, Path] = {}
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        local = pod_dir / mount["name"]
        local.mkdir(parents=True, exist_ok=True)
        source = volumes[mount["name"]]
        if "secret" in source:
            for item in source["secret"]["items"]:
                value = _secret_value(kube, namespace, source["secret"]["secretName"], item["key"])
                (local / item["path"]).write_text(value)
        mounts[mount["mountPath"]] = local

    def local_path(value: str) -> str:
        """Mount paths in a value (a plain path, or inside the JSON Job contract) made local."""
        for mount_path, local in mounts.items():
            value = re.sub(re.escape(mount_path) + r"(?=[/\"]|$)", str(local), value)
        return value

    labels = {**job["spec"]["template"]["metadata"]["labels"], "job-name": name}
    env = {k: v for k, v in os.environ.items() if not re.match(r"^(REGSCAN_|AWS_|TRIVY_)", k)}
    env.update({k: local_path(v) for k, v in IMAGE_ENV.items()})
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = local_path(item["value"])
            continue
        source = item["valueFrom"]
        if "fieldRef" in source:
            label = re.match(r"metadata\.labels\['(.+)'\]", source["fieldRef"]["fieldPath"])
            assert label, source
            env[item["name"]] = labels[label.group(1)]
        else:
            ref = source["secretKeyRef"]
            env[item["name"]] = _secret_value(kube, namespace, ref["name"], ref["key"])
    if index is not None:
        env["JOB_COMPLETION_INDEX"] = str(index)
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "regscan", *container["args"]],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=pod_dir,
    )
