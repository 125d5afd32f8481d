"""What a Job pod is handed besides its contract: the mounted registry credentials and the
CA bundle as a temporary file (does I/O).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from job_images.credentials import Credentials
from job_images.discovery.urls import normalize_registry_url
from job_images.docker_config import load_docker_config


@contextmanager
def ca_bundle_file(pem: str | None) -> Iterator[str | None]:
    """A PEM bundle from the spec as a file for the HTTP client and Trivy, removed after."""
    if not pem:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="regscan-ca-") as tmp:
        path = Path(tmp) / "ca.pem"
        path.write_text(pem)
        yield str(path)


def job_credentials(args: argparse.Namespace, registry_url: str) -> Credentials | None:
    folder = args.docker_config or os.environ.get("REGSCAN_DOCKER_CONFIG")
    if not folder or not Path(folder).exists():
        return None
    return load_docker_config(Path(folder), normalize_registry_url(registry_url)[1])
