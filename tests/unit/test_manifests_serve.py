"""manifests/components/serve: the `regscan serve` Deployment agrees with the CLI it runs,
the controller's store and image, and the Job pods' security (pure file checks).

`tests/integration/test_deploy_manifests.py` builds the component with the real
`kubectl kustomize`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from controller.core.builders import RESOURCES as JOB_RESOURCES
from regscan.cli.main import build_parser
from regscan.cli.serve import TOKEN_ENV, ServeOptions
from regscan.serve.openapi import OPEN_PATHS

ROOT = Path(__file__).resolve().parents[2]
COMPONENT = ROOT / "manifests" / "components" / "serve"


def _docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _one(path: Path, kind: str) -> dict[str, Any]:
    (doc,) = [d for d in _docs(path) if d["kind"] == kind]
    return doc


def _container(path: Path, deployment: str) -> dict[str, Any]:
    deploy = next(
        d for d in _docs(path) if d["kind"] == "Deployment" and d["metadata"]["name"] == deployment
    )
    pod = deploy["spec"]["template"]["spec"]
    container: dict[str, Any] = pod["containers"][0]
    return {**container, "pod": pod, "labels": deploy["spec"]["template"]["metadata"]["labels"]}


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


SERVE = _container(COMPONENT / "serve.yaml", "regscan-serve")
CONTROLLER = _container(ROOT / "manifests" / "controller.yaml", "regscan-controller")


def test_its_args_are_a_valid_regscan_serve_command_on_the_controllers_store(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env, controller = _env(SERVE), _env(CONTROLLER)
    for name, value in env.items():
        if isinstance(value, str):
            monkeypatch.setenv(name, value)
    monkeypatch.setenv(TOKEN_ENV, "from-the-secret")
    args = build_parser().parse_args(SERVE["args"])  # the parser reads REGSCAN_S3_* defaults
    options = ServeOptions.from_args(args)
    assert (options.host, options.port) == ("0.0.0.0", 8080)
    assert options.store.s3_endpoint == controller["REGSCAN_S3_ENDPOINT"]
    assert options.store.s3_bucket == controller["REGSCAN_S3_BUCKET"]
    assert options.scanner.cache_dir in {m["mountPath"] for m in SERVE["volumeMounts"]}
    assert SERVE["image"] == controller["REGSCAN_JOB_IMAGE"]  # the Job image carries serve


def test_secrets_come_from_secrets() -> None:
    env = _env(SERVE)
    assert env[TOKEN_ENV] == {"secretKeyRef": {"name": "regscan-serve", "key": "token"}}
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        assert env[name] == _env(CONTROLLER)[name]
    kust = _one(COMPONENT / "kustomization.yaml", "Component")
    (gen,) = kust["secretGenerator"]
    assert gen["name"] == "regscan-serve" and gen["envs"] == ["serve-token.env"]
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "manifests/components/serve/serve-token.env" in ignored


def test_it_runs_like_a_job_pod() -> None:
    pod, security = SERVE["pod"], SERVE["securityContext"]
    assert pod["securityContext"]["runAsNonRoot"] and pod["automountServiceAccountToken"] is False
    assert security == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    mounts = {m["mountPath"] for m in SERVE["volumeMounts"]}
    assert {"/tmp", "/var/cache/trivy"} <= mounts
    assert SERVE["resources"]["requests"] == JOB_RESOURCES["requests"]


def test_probes_and_service_reach_the_open_health_endpoint() -> None:
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert SERVE[probe]["httpGet"]["path"] in OPEN_PATHS  # no token needed
        assert SERVE[probe]["httpGet"]["port"] == "http"
    service = _one(COMPONENT / "serve.yaml", "Service")
    assert service["spec"]["selector"].items() <= SERVE["labels"].items()
    (port,) = service["spec"]["ports"]
    assert port["targetPort"] == "http"
    assert {"name": "http", "containerPort": 8080} in SERVE["ports"]
