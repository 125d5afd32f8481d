"""`make deploy`'s inputs with the real `kubectl kustomize` and `make`: the MinIO secret is
generated once (random, 0600, never overwritten) or taken from the user's file, and the
Roles of watched namespaces keep their namespaces."""

from __future__ import annotations

import base64
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from controller.kube import rbac

ROOT = Path(__file__).resolve().parents[2]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not found on PATH")
    return path


def make_credentials(target: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_tool("make"), "-s", "-C", str(ROOT), f"S3_CREDENTIALS={target}", str(target)],
        capture_output=True,
        text=True,
        check=True,
    )


def kustomize(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_tool("kubectl"), "kustomize", str(folder)], capture_output=True, text=True, timeout=60
    )


def env_file(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if line)


def test_generated_secret_is_random_private_and_kept(tmp_path: Path) -> None:
    first, second = tmp_path / "a.env", tmp_path / "b.env"
    out = make_credentials(first)
    assert "generated" in out.stdout and first.name in out.stdout
    make_credentials(second)
    a, b = env_file(first), env_file(second)
    assert set(a) == {"accessKey", "secretKey"} and len(a["secretKey"]) >= 32
    assert a["secretKey"] != b["secretKey"]
    assert a["secretKey"] not in out.stdout + out.stderr  # never printed
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    first.write_text("accessKey=mine\nsecretKey=my-own-secret-value\n")  # the user's own file
    assert make_credentials(first).stdout == ""  # kept, not regenerated
    assert env_file(first)["secretKey"] == "my-own-secret-value"


def test_kustomize_needs_the_credentials_file_and_keeps_namespaces(tmp_path: Path) -> None:
    folder = tmp_path / "manifests"
    shutil.copytree(ROOT / "manifests", folder)
    missing = kustomize(folder)
    assert missing.returncode != 0 and "s3-credentials.env" in missing.stderr  # no default
    (folder / "s3-credentials.env").write_text("accessKey=mine\nsecretKey=my-own-secret-value\n")
    (folder / "rbac.yaml").write_text(rbac.render("regscan-system", ["team-a", "team-b"]))
    built = kustomize(folder)
    assert built.returncode == 0, built.stderr
    objects: list[dict[str, Any]] = [d for d in yaml.safe_load_all(built.stdout) if d]
    (secret,) = [d for d in objects if d["kind"] == "Secret"]
    assert secret["metadata"] == {"name": "regscan-s3", "namespace": "regscan-system"}
    assert base64.b64decode(secret["data"]["secretKey"]).decode() == "my-own-secret-value"
    roles = {
        (d["kind"], d["metadata"].get("namespace")) for d in objects if d["kind"].endswith("Role")
    }
    assert roles == {("Role", "team-a"), ("Role", "team-b"), ("Role", "regscan-system")}
    kinds = {d["kind"] for d in objects}
    assert {"PodDisruptionBudget", "NetworkPolicy", "CustomResourceDefinition"} <= kinds


def test_make_deploy_serve_builds_manifests_with_the_serve_component(tmp_path: Path) -> None:
    """`make deploy-serve`'s token and overlay, built by the real `kubectl kustomize`."""
    shutil.copytree(ROOT / "manifests", tmp_path / "manifests")
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "manifests" / "s3-credentials.env").write_text("accessKey=a\nsecretKey=b\n")
    token = tmp_path / "manifests" / "components" / "serve" / "serve-token.env"
    overlay = ".regscan-deploy/serve"
    targets = [str(token), f"{overlay}/kustomization.yaml"]
    make = [_tool("make"), "-s", "-C", str(tmp_path), f"SERVE_TOKEN={token}", *targets]
    out = subprocess.run(make, capture_output=True, text=True, check=True)
    value = env_file(token)["token"]
    assert len(value) >= 32 and value not in out.stdout + out.stderr
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    built = kustomize(tmp_path / overlay)
    assert built.returncode == 0, built.stderr
    objects: list[dict[str, Any]] = [d for d in yaml.safe_load_all(built.stdout) if d]
    names = {(d["kind"], d["metadata"]["name"]) for d in objects}
    assert {("Deployment", "regscan-serve"), ("Service", "regscan-serve")} <= names
    assert ("Deployment", "regscan-controller") in names  # the whole product, plus serve
    secret = next(
        d for d in objects if d["metadata"]["name"] == "regscan-serve" and d["kind"] == "Secret"
    )
    assert base64.b64decode(secret["data"]["token"]).decode() == value
    policy = next(d for d in objects if d["kind"] == "NetworkPolicy")
    allowed = [f["podSelector"]["matchLabels"] for f in policy["spec"]["ingress"][0]["from"]]
    assert {"app.kubernetes.io/name": "regscan-serve"} in allowed  # serve reaches MinIO's API
    assert {"app.kubernetes.io/name": "regscan-controller"} in allowed


def test_the_serve_component_needs_its_token_file(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "manifests", tmp_path / "manifests")
    (tmp_path / "manifests" / "s3-credentials.env").write_text("accessKey=a\nsecretKey=b\n")
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        "resources: [../manifests]\ncomponents: [../manifests/components/serve]\n"
    )
    missing = kustomize(overlay)
    assert missing.returncode != 0 and "serve-token.env" in missing.stderr  # no default token
