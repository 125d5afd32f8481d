"""envtest: the real API server accepts everything `make deploy-serve` applies — the
product's manifests with the `regscan serve` component — as a server-side dry run
(every object validated by its API group's schema, nothing stored)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.envtest.conftest import ROOT, ApiServer


def test_the_manifests_with_the_serve_component_pass_server_side_validation(
    crd: ApiServer, tmp_path: Path
) -> None:
    shutil.copytree(ROOT / "manifests", tmp_path / "manifests")
    (tmp_path / "manifests" / "s3-credentials.env").write_text("accessKey=a\nsecretKey=b\n")
    token = tmp_path / "manifests" / "components" / "serve" / "serve-token.env"
    token.write_text("token=t\n")
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        "resources: [../manifests]\ncomponents: [../manifests/components/serve]\n"
    )
    applied = crd.kubectl("apply", "--dry-run=server", "-k", str(overlay), check=False)
    assert applied.returncode == 0, applied.stderr
    lines = applied.stdout.splitlines()
    for obj in ("deployment.apps/regscan-serve", "service/regscan-serve", "secret/regscan-serve"):
        assert any(line.startswith(obj) and "(server dry run)" in line for line in lines), lines
    assert any(line.startswith("networkpolicy.networking.k8s.io/minio") for line in lines)
