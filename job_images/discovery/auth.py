"""Registry credentials: dockerconfigjson lookup and WWW-Authenticate parsing (pure)."""

from __future__ import annotations

import base64
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from job_images.errors import InvalidInput


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    def __repr__(self) -> str:  # never print the secret
        return f"Credentials(username={self.username!r}, password='***')"


@dataclass(frozen=True)
class Challenge:
    scheme: str  # "basic" | "bearer"
    params: dict[str, str]


_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^,\s]*))')


def parse_challenge(header: str) -> Challenge | None:
    scheme, _, rest = header.strip().partition(" ")
    if not scheme:
        return None
    params = {
        m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
        for m in _PARAM.finditer(rest)
    }
    return Challenge(scheme.lower(), params)


def _host_of(key: str) -> str:
    key = re.sub(r"^[a-z]+://", "", key.strip().lower())
    return key.split("/")[0]


def credentials_from_dockerconfig(
    doc: object, host: str, source: str = "docker config"
) -> Credentials | None:
    """Find credentials for `host` (host:port) in a parsed config.json / .dockerconfigjson."""
    if not isinstance(doc, dict) or not isinstance(doc.get("auths", {}), dict):
        raise InvalidInput(source, "has no 'auths' map")
    auths = doc.get("auths", {})
    want = host.lower()
    aliases = {want}
    if want in ("docker.io", "registry-1.docker.io", "index.docker.io"):
        aliases |= {"docker.io", "registry-1.docker.io", "index.docker.io"}
    for key, entry in auths.items():
        if _host_of(str(key)) not in aliases or not isinstance(entry, dict):
            continue
        if entry.get("auth"):
            try:
                raw = base64.b64decode(str(entry["auth"]), validate=True)
                user, _, password = raw.decode().partition(":")
            except (ValueError, UnicodeDecodeError) as exc:
                raise InvalidInput(
                    source, f"auths[{key}].auth is not base64 user:password"
                ) from exc
            return Credentials(user, password)
        if entry.get("username") is not None:
            return Credentials(str(entry["username"]), str(entry.get("password", "")))
    return None


def load_docker_config(path: Path, host: str) -> Credentials | None:
    """Read DIR/config.json (or a .dockerconfigjson file) and find `host`."""
    file = path / "config.json" if path.is_dir() else path
    if path.is_dir() and not file.exists():
        file = path / ".dockerconfigjson"
    try:
        doc = json.loads(file.read_text())
    except FileNotFoundError as exc:
        raise InvalidInput("docker-config", f"{file} does not exist") from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInput("docker-config", f"{file} is not readable JSON: {exc}") from exc
    return credentials_from_dockerconfig(doc, host, source=f"docker-config {file}")


def write_docker_config(directory: Path, host: str, creds: Credentials) -> Path:
    """Write a 0600 config.json for `host` (used to hand credentials to Trivy)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    token = base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode()
    file = directory / "config.json"
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"auths": {host: {"auth": token}}}, out)
    return file
