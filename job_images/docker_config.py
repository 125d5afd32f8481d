"""Docker config files: read credentials from one, write a 0600 one for Trivy (does I/O)."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from job_images.credentials import DOCKERCONFIGJSON_KEY, Credentials, credentials_from_dockerconfig
from regscan.common.errors import InvalidInput


def load_docker_config(path: Path, host: str) -> Credentials | None:
    """Read DIR/config.json (or a .dockerconfigjson file) and find `host`."""
    file = path / "config.json" if path.is_dir() else path
    if path.is_dir() and not file.exists():
        file = path / DOCKERCONFIGJSON_KEY
    try:
        doc = json.loads(file.read_text())
    except FileNotFoundError as exc:
        raise InvalidInput("docker-config", f"{file} does not exist") from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInput("docker-config", f"{file} is not readable JSON: {exc}") from exc
    return credentials_from_dockerconfig(doc, host, source=f"docker-config {file}")


def write_docker_config(directory: Path, host: str, creds: Credentials) -> Path:
    """Write a 0600 config.json for `host` (used to hand credentials to Trivy). A bearer
    token goes in `registrytoken`, which go-containerregistry (Trivy's registry client) sends
    as `Authorization: Bearer` without asking the registry's token server."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if creds.token:
        entry = {"registrytoken": creds.token}
    else:
        basic = base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode()
        entry = {"auth": basic}
    file = directory / "config.json"
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"auths": {host: entry}}, out)
    return file
