"""Registry credentials: the value, and its lookup in a dockerconfigjson document (pure).

Reading and writing docker config files is in `job_images.docker_config` (I/O).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from regscan.common.errors import InvalidInput

DOCKERCONFIGJSON_TYPE = "kubernetes.io/dockerconfigjson"  # the Secret type that holds one
DOCKERCONFIGJSON_KEY = ".dockerconfigjson"


@dataclass(frozen=True)
class Credentials:
    """User and password, or a registry bearer token (`Authorization: Bearer <token>`, e.g.
    the repository-scoped JWT Harbor hands its scanners), used as is instead of a login."""

    username: str
    password: str
    token: str = ""

    @classmethod
    def bearer(cls, token: str) -> Credentials:
        return cls("", "", token)

    @property
    def secret(self) -> str:
        """The value that must never be shown: the token or the password."""
        return self.token or self.password

    def __repr__(self) -> str:  # never print the secret
        if self.token:
            return "Credentials(token='***')"
        return f"Credentials(username={self.username!r}, password='***')"


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
