"""manifests/: kustomization, generated RBAC, the controller Deployment and the sample
Registry agree with the code (pure file checks).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from controller.core import builders
from controller.core.validation import validate_spec
from controller.kube import rbac
from controller.kube.resources import RESOURCES
from controller.settings import Settings
from job_images.scanning.policy import policy_from_spec
from regscan.common.jobs import read_scan_job
from regscan.common.registry import RegistrySpec
from tests.unit.test_controller_loop import make, spec

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "manifests"


def docs(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((MANIFESTS / name).read_text()) if d]


def test_kustomization_lists_every_manifest() -> None:
    (kust,) = docs("kustomization.yaml")
    files = {p.name for p in MANIFESTS.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kust["resources"]) == files
    kinds = {d["kind"] for f in kust["resources"] for d in docs(f)}
    assert {
        "CustomResourceDefinition",
        "ClusterRole",
        "Role",
        "Deployment",
        "Service",
        "PersistentVolumeClaim",
        "Namespace",
        "PodDisruptionBudget",
        "NetworkPolicy",
    } <= kinds


def watched_in_manifests() -> list[str]:
    deploy = next(d for d in docs("controller.yaml") if d["kind"] == "Deployment")
    env = {
        e["name"]: e.get("value")
        for e in deploy["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    return Settings(watch_namespaces=env["REGSCAN_WATCH_NAMESPACES"]).watched()


def test_rbac_file_is_generated_for_the_watched_namespaces() -> None:
    assert (MANIFESTS / "rbac.yaml").read_text() == rbac.render(watch=watched_in_manifests())


VERBS = {
    "list": {"list"},
    "get": {"get"},
    "apply": {"patch", "create"},  # server-side apply may create
    "create": {"create"},
    "replace": {"update"},
    "delete": {"delete"},
    "patch_status": {"patch"},
}


def _allowed(method: str, kind: str) -> bool:
    resource = RESOURCES[kind].plural + ("/status" if method == "patch_status" else "")
    granted: set[str] = set()
    for rule in [*rbac.REGISTRY_RULES, *rbac.NAMESPACE_RULES]:
        if rule.resource == resource:
            granted |= set(rule.verbs)
    return VERBS[method] <= granted


def test_rbac_covers_every_call_the_controller_makes(tmp_path: Path) -> None:
    kube, controller, store = make(tmp_path)
    from tests.unit.test_controller_loop import _dockerconfig, discovered

    _dockerconfig(kube, "team-a", "pull", "kubernetes.io/dockerconfigjson")
    kube.put_registry("team-a", "a", spec(authSecret="pull"))
    kube.put_registry("team-a", "gone", spec())
    discovered(kube, store, "a")
    discovered(kube, store, "gone")
    controller.tick()
    scan = next(j for j in kube.named("Job") if j["metadata"]["name"].startswith("rs-scan-run-a"))
    kube.job_finished("regscan-system", scan["metadata"]["name"], True, "2026-11-22T10:05:00Z")
    del kube.objects[("Registry", "team-a", "gone")]
    controller.tick()
    from controller.leader import LeaderElector

    elector = LeaderElector(kube, "regscan-system", "me")
    elector.ensure(controller.clock())
    elector.ensure(controller.clock())
    elector.release()
    used = {(method, kind) for method, kind, _ in kube.calls}
    assert {m for m, _ in used} == set(VERBS)  # the scenario exercised every method
    assert [u for u in used if not _allowed(*u)] == []
    # nothing more than that: every granted verb is used by some call
    granted = {
        (r.resource, v) for r in [*rbac.REGISTRY_RULES, *rbac.NAMESPACE_RULES] for v in r.verbs
    }
    needed = {
        (RESOURCES[k].plural + ("/status" if m == "patch_status" else ""), v)
        for m, k in used
        for v in VERBS[m]
    }
    assert granted == needed


def test_controller_deployment_matches_settings() -> None:
    deploy = next(d for d in docs("controller.yaml") if d["kind"] == "Deployment")
    assert deploy["spec"]["replicas"] == 2
    pod = deploy["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == rbac.SERVICE_ACCOUNT
    (container,) = pod["containers"]
    names = {e["name"] for e in container["env"]}
    fields = {f"REGSCAN_{k.upper()}" for k in Settings.model_fields}
    assert {n for n in names if n.startswith("REGSCAN_")} <= fields
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "POD_NAME"} <= names
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    (kust,) = docs("kustomization.yaml")
    (generated,) = kust["secretGenerator"]  # from a file the user provides or `make deploy` makes
    assert (
        generated["name"] == Settings().s3_secret and generated["namespace"] == Settings().namespace
    )
    assert kust["generatorOptions"]["disableNameSuffixHash"] is True  # the name the pods use


def test_sample_registry_is_valid() -> None:
    (sample,) = docs("samples/registry.yaml")
    parsed = RegistrySpec.model_validate(sample["spec"])
    assert validate_spec(parsed) is None
    job = builders.scan_job("default", "harbor", "run-1", 2, parsed, Settings(), None)
    container = job["spec"]["template"]["spec"]["containers"][0]
    contract = read_scan_job({e["name"]: e.get("value", "") for e in container["env"]})
    assert contract.policy.failOn == "CRITICAL" and contract.policy.onlyFixable
    assert policy_from_spec(contract.policy).allowlist[0].id == "CVE-2023-12345"


def test_deployment_images_are_the_dockerfile_targets() -> None:
    """The controller runs the `controller` target, its Jobs the `job` target (the default)."""
    stages = re.findall(r"^FROM \S+ AS (\S+)$", (ROOT / "job_images/Dockerfile").read_text(), re.M)
    assert stages[-1] == "job" and "controller" in stages
    deploy = next(d for d in docs("controller.yaml") if d["kind"] == "Deployment")
    (container,) = deploy["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "regscan-controller:dev"
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["REGSCAN_JOB_IMAGE"] == Settings().job_image == "regscan:dev"


def test_kind_e2e_registry_is_valid() -> None:
    (sample,) = yaml.safe_load_all((ROOT / "tests/kind/sample-registry.yaml").read_text())
    assert validate_spec(RegistrySpec.model_validate(sample["spec"])) is None
