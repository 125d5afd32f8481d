"""The layers hold: import-linter's contracts pass, and the pure core loads no client library."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# subprocess is not in the list: croniter (a pure library) imports it for its own reasons;
# import-linter's contract still forbids our pure modules from importing it themselves.
CLIENT_LIBRARIES = ("httpx", "minio", "urllib3", "kubernetes", "requests")


def test_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    if not lint.exists():
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    out = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout[-3000:]
    assert "0 broken" in out.stdout


@pytest.mark.parametrize(
    "module",
    ["controller.core.reconcile", "regscan.common.jobs", "job_images.discovery.celfilter"],
)
def test_pure_modules_load_no_client_library(module: str) -> None:
    code = (
        f"import sys, json, {module}\n"
        f"print(json.dumps(sorted(m for m in {CLIENT_LIBRARIES!r} if m in sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []
