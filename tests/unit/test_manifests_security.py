"""The deployment's security: no credentials in the repository, secrets readable only where
Registries are watched, a PodDisruptionBudget for the controller, MinIO's API open only to
the controller and regscan's Jobs (pure file checks against the code that labels the pods)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from controller.core import builders
from controller.kube import rbac
from controller.settings import Settings
from regscan.common.registry import RegistrySpec

MANIFESTS = Path(__file__).resolve().parents[2] / "manifests"


def docs(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((MANIFESTS / name).read_text()) if d]


def all_docs() -> list[dict[str, Any]]:
    return [
        d for p in sorted(MANIFESTS.rglob("*.yaml")) for d in docs(str(p.relative_to(MANIFESTS)))
    ]


def test_no_credentials_in_the_repository() -> None:
    assert [d for d in all_docs() if d["kind"] == "Secret"] == []
    for path in MANIFESTS.rglob("*.yaml"):
        assert "change-me" not in path.read_text(), path
    assert "manifests/s3-credentials.env" in (MANIFESTS.parent / ".gitignore").read_text()


def rules_by_role(text: str) -> dict[tuple[str, str | None], list[dict[str, Any]]]:
    out = {}
    for d in yaml.safe_load_all(text):
        if d and d["kind"] in ("Role", "ClusterRole"):
            out[(d["kind"], d["metadata"].get("namespace"))] = d["rules"]
    return out


def secret_verbs(rules: list[dict[str, Any]]) -> set[str]:
    return {v for r in rules if "secrets" in r["resources"] for v in r["verbs"]}


@pytest.mark.parametrize(
    ("watch", "secret_reads"),
    [
        ([], {("ClusterRole", None)}),  # every namespace: cluster-wide, `get` by name only
        (["team-a"], {("Role", "team-a")}),
        (["team-a", "team-b"], {("Role", "team-a"), ("Role", "team-b")}),
    ],
)
def test_secrets_are_readable_only_where_registries_are_watched(
    watch: list[str], secret_reads: set[tuple[str, str | None]]
) -> None:
    roles = rules_by_role(rbac.render("regscan-system", watch))
    reads = {k for k, rules in roles.items() if "get" in secret_verbs(rules)}
    assert reads == secret_reads
    for key in reads:
        assert secret_verbs(roles[key]) == {"get"}  # never list/watch other people's Secrets
    own = roles[("Role", "regscan-system")]  # the copies it makes for the Jobs, in its namespace
    assert secret_verbs(own) == {"list", "create", "patch", "delete"}
    if watch:
        assert ("ClusterRole", None) not in roles
        bindings = [
            d
            for d in yaml.safe_load_all(rbac.render("regscan-system", watch))
            if d["kind"] == "RoleBinding"
        ]
        assert {b["metadata"]["namespace"] for b in bindings} == {*watch, "regscan-system"}
        assert {s["namespace"] for b in bindings for s in b["subjects"]} == {"regscan-system"}


def test_pod_disruption_budget_keeps_a_controller_running() -> None:
    deploy = next(d for d in docs("controller.yaml") if d["kind"] == "Deployment")
    pdb = next(d for d in docs("controller.yaml") if d["kind"] == "PodDisruptionBudget")
    assert (
        pdb["spec"]["selector"]["matchLabels"].items()
        <= deploy["spec"]["template"]["metadata"]["labels"].items()
    )
    assert 1 <= pdb["spec"]["minAvailable"] < deploy["spec"]["replicas"]


def _admits(rule: dict[str, Any], labels: dict[str, str]) -> bool:
    peers = rule.get("from")
    if peers is None:
        return True  # no `from`: anyone
    return any(p["podSelector"]["matchLabels"].items() <= labels.items() for p in peers)


def _pod_labels() -> dict[str, dict[str, str]]:
    spec = RegistrySpec(url="https://harbor.example.com")
    settings = Settings()
    cron = builders.discovery_cronjob("team-a", "harbor", spec, "h", settings, None)
    scan = builders.scan_job("team-a", "harbor", "run-1", 2, spec, settings, None)
    deploy = next(d for d in docs("controller.yaml") if d["kind"] == "Deployment")
    return {
        "controller": deploy["spec"]["template"]["metadata"]["labels"],
        "discovery job": cron["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"],
        "scan job": scan["spec"]["template"]["metadata"]["labels"],
        "someone else": {"app": "curl"},
    }


@pytest.mark.parametrize(
    ("pod", "port", "allowed"),
    [
        ("controller", "api", True),
        ("discovery job", "api", True),
        ("scan job", "api", True),
        ("someone else", "api", False),
        ("someone else", "console", True),  # the console stays reachable for people
    ],
)
def test_minio_api_only_for_the_controller_and_jobs(pod: str, port: str, allowed: bool) -> None:
    policy = next(d for d in docs("minio.yaml") if d["kind"] == "NetworkPolicy")
    minio = next(d for d in docs("minio.yaml") if d["kind"] == "Deployment")
    assert (
        policy["spec"]["podSelector"]["matchLabels"].items()
        <= minio["spec"]["template"]["metadata"]["labels"].items()
    )
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    rules = [r for r in policy["spec"]["ingress"] if any(p["port"] == port for p in r["ports"])]
    assert any(_admits(r, _pod_labels()[pod]) for r in rules) is allowed


def test_only_the_console_has_a_node_port() -> None:
    node_ports = [
        (d["metadata"]["name"], p["name"])
        for d in docs("minio.yaml")
        if d["kind"] == "Service" and d["spec"].get("type") == "NodePort"
        for p in d["spec"]["ports"]
    ]
    assert node_ports == [("minio-console", "console")]
