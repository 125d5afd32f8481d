"""What a Job pod is handed besides its contract (does I/O): the mounted registry
credentials, the CA bundle as a temporary file, and the store the contract names.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from job_images.credentials import Credentials
from job_images.discovery.urls import normalize_registry_url
from job_images.docker_config import load_docker_config
from job_images.store.backends import FilesystemStore, ObjectStore, S3Store, s3_settings_from_env
from regscan.common.errors import InvalidInput
from regscan.common.jobs import CONTRACT_ENV, StoreTarget


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


def mounted_credentials(folder: str | None, registry_url: str) -> Credentials | None:
    """Credentials for the registry from a mounted docker config folder, if one is there."""
    if not folder or not Path(folder).exists():
        return None
    return load_docker_config(Path(folder), normalize_registry_url(registry_url)[1])


def open_job_store(target: StoreTarget | None, output_dir: str | None) -> ObjectStore:
    """The contract's S3 store (keys from AWS_* variables), or a folder given locally."""
    if output_dir:
        prefix = target.prefix if target else ""
        return FilesystemStore(Path(output_dir) / prefix if prefix else Path(output_dir))
    if target is None:
        raise InvalidInput(f"{CONTRACT_ENV}.store", "is not set; give --output-dir")
    return S3Store(s3_settings_from_env(target.endpoint, target.bucket, target.prefix))
