"""Run a Job's pod the way the kubelet would: as a local process, or in a container engine.

`plan_pod` takes the container's args and env from the Job the controller built (resolving
`fieldRef` job-name labels and `secretKeyRef`s against the fake API) and maps the pod's
volumes to temporary folders (secret volumes get their items written). `run_pod` runs
`regscan` with them on the host (adding the Job image's ENV); `run_pod_in_engine` runs the
image the pod names with the pod's security context, limits and volumes (the image tier).
What runs is the real entrypoint. Does process I/O.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from dataclasses import dataclass
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


@dataclass(frozen=True)
class PodPlan:
    """One pod of a Job, resolved as the kubelet would: args, env (fieldRefs and
    secretKeyRefs resolved), and each volume mount's local folder (secret items written)."""

    image: str
    args: list[str]
    env: dict[str, str]
    mounts: dict[str, Path]  # mountPath -> local folder
    pod: dict[str, Any]  # the pod spec, for its security context
    container: dict[str, Any]
    workdir: Path


def plan_pod(kube: FakeKube, job: dict[str, Any], workdir: Path, index: int | None) -> PodPlan:
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
    labels = {**job["spec"]["template"]["metadata"]["labels"], "job-name": name}
    env: dict[str, str] = {}
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
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
    return PodPlan(
        container["image"],
        list(container["args"]),
        env,
        mounts,
        pod,
        container,
        pod_dir,
    )


def run_pod(
    kube: FakeKube,
    job: dict[str, Any],
    workdir: Path,
    index: int | None = None,
    extra_env: dict[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """The pod as a local process: mount paths in values (plain paths, or inside the JSON
    Job contract) rewritten to the local folders, the image's ENV added."""
    plan = plan_pod(kube, job, workdir, index)

    def local_path(value: str) -> str:
        for mount_path, local in plan.mounts.items():
            value = re.sub(re.escape(mount_path) + r"(?=[/\"]|$)", str(local), value)
        return value

    env = {k: v for k, v in os.environ.items() if not re.match(r"^(REGSCAN_|AWS_|TRIVY_)", k)}
    env.update({k: local_path(v) for k, v in IMAGE_ENV.items()})
    env.update({k: local_path(v) for k, v in plan.env.items()})
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "regscan", *plan.args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=plan.workdir,
    )


# What `run_pod_in_engine` knows how to honour; anything else in a pod spec fails the run,
# so a new field in the builders cannot be silently ignored by the image tier.
_POD_KEYS = {
    "restartPolicy",
    "automountServiceAccountToken",
    "securityContext",
    "containers",
    "volumes",
}
_CONTAINER_KEYS = {"name", "image", "args", "env", "resources", "volumeMounts", "securityContext"}
_SECURITY_KEYS = {
    "runAsNonRoot", "runAsUser", "runAsGroup", "fsGroup", "seccompProfile",
    "allowPrivilegeEscalation", "readOnlyRootFilesystem", "capabilities",
}  # fmt: skip
_MEMORY_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 10**3, "M": 10**6, "G": 10**9}


def _memory_bytes(quantity: str) -> int:
    for unit, factor in _MEMORY_UNITS.items():
        if quantity.endswith(unit):
            return int(float(quantity.removesuffix(unit)) * factor)
    return int(quantity)


def _cpus(quantity: str) -> str:
    return str(int(quantity[:-1]) / 1000) if quantity.endswith("m") else quantity


def engine_options(plan: PodPlan) -> list[str]:
    """`docker run` options (before the image) for the pod as its spec says: user and
    groups, read-only root, capabilities, no privilege escalation, seccomp, limits, and
    volumes like a kubelet's (an emptyDir is a 0777 folder, a secret volume read-only
    files). Env names only: the values travel in the engine CLI's environment, not argv."""
    unknown = (set(plan.pod) - _POD_KEYS) | (set(plan.container) - _CONTAINER_KEYS)
    security = {**plan.pod.get("securityContext", {}), **plan.container["securityContext"]}
    unknown |= set(security) - _SECURITY_KEYS
    assert not unknown, f"the image tier does not know how to run a pod with {sorted(unknown)}"
    user, group = security.get("runAsUser"), security.get("runAsGroup")
    assert user is not None and group is not None, "the tier runs pods with an explicit user"
    assert not (security.get("runAsNonRoot") and user == 0), "runAsNonRoot with uid 0"
    args = ["--rm", "--network", "host", "--user", f"{user}:{group}"]
    if "fsGroup" in security:
        args += ["--group-add", str(security["fsGroup"])]
    if security.get("readOnlyRootFilesystem"):
        args.append("--read-only")
    if security.get("allowPrivilegeEscalation") is False:
        args += ["--security-opt", "no-new-privileges"]
    caps = security.get("capabilities", {})
    args += [a for cap in caps.get("drop", []) for a in ("--cap-drop", cap)]
    args += [a for cap in caps.get("add", []) for a in ("--cap-add", cap)]
    seccomp = security.get("seccompProfile", {}).get("type", "RuntimeDefault")
    assert seccomp in ("RuntimeDefault", "Unconfined"), seccomp
    if seccomp == "Unconfined":  # RuntimeDefault is the engine's default profile
        args += ["--security-opt", "seccomp=unconfined"]
    limits = plan.container.get("resources", {}).get("limits", {})
    if "memory" in limits:
        args += ["--memory", str(_memory_bytes(limits["memory"]))]
    if "cpu" in limits:
        args += ["--cpus", _cpus(str(limits["cpu"]))]
    volumes = {v["name"]: v for v in plan.pod.get("volumes", [])}
    for mount in plan.container.get("volumeMounts", []):
        source, local = volumes[mount["name"]], plan.mounts[mount["mountPath"]]
        assert {"emptyDir", "secret"} & set(source), f"volume type of {source}"
        # a kubelet's emptyDir is a 0777 folder; its secret volume read-only, files 0644
        read_only = "secret" in source or bool(mount.get("readOnly"))
        local.chmod(0o777 if "emptyDir" in source else 0o755)
        for item in local.iterdir():
            item.chmod(0o644)
        args += ["-v", f"{local}:{mount['mountPath']}{':ro' if read_only else ''}"]
    for name in plan.env:
        args += ["-e", name]
    return args


def run_pod_in_engine(
    kube: FakeKube,
    job: dict[str, Any],
    workdir: Path,
    index: int | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """The pod in the container engine, from the image its spec names (see `engine_options`)."""
    plan = plan_pod(kube, job, workdir, index)
    env = {k: v for k, v in os.environ.items() if not re.match(r"^(REGSCAN_|AWS_|TRIVY_)", k)}
    return subprocess.run(
        ["docker", "run", *engine_options(plan), plan.image, *plan.args],
        capture_output=True,
        text=True,
        env={**env, **plan.env},
        timeout=timeout,
    )
