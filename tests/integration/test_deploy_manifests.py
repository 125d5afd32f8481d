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
