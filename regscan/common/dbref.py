"""References to OCI repositories holding Trivy's vulnerability DB (pure).

One place for what `--db-repository` and `spec.scanner.dbRepository` accept: the same
`host[:port]/repository[:tag]` list Trivy takes, with Trivy's defaults.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from regscan.common.errors import InvalidInput

# Trivy's own default (`trivy image --help`, v0.5x+): tried in this order.
DEFAULT_DB_REPOSITORIES = ("mirror.gcr.io/aquasec/trivy-db:2", "ghcr.io/aquasecurity/trivy-db:2")
DB_SCHEMA_TAG = "2"  # the tag Trivy adds when a --db-repository names none

_REPO = re.compile(
    r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$"
)
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


@dataclass(frozen=True)
class DBRef:
    """One OCI repository holding Trivy's DB: `registry/repository:tag`."""

    registry: str
    repository: str
    tag: str

    def __str__(self) -> str:
        return f"{self.registry}/{self.repository}:{self.tag}"

    @property
    def url(self) -> str:
        """The registry's base URL, with the scheme Trivy (go-containerregistry) would use."""
        return ("http://" if plain_http(self.registry) else "https://") + self.registry


def plain_http(registry: str) -> bool:
    """go-containerregistry speaks plain HTTP to localhost, loopback and RFC 1918 hosts."""
    host = urlsplit("//" + registry).hostname or ""
    if host == "localhost" or host.endswith(".local"):
        return True
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return False
    return addr.is_loopback or addr.is_private


def parse_db_ref(text: str) -> DBRef:
    """`host[:port]/path[:tag]` (no scheme, no digest); the tag defaults to Trivy's `2`."""
    ref = text.strip()
    if "://" in ref or "@" in ref:
        raise InvalidInput(
            "db-repository", f"{text!r}: give host/repository[:tag], no scheme or digest"
        )
    registry, _, rest = ref.partition("/")
    if not rest or ("." not in registry and ":" not in registry and registry != "localhost"):
        raise InvalidInput("db-repository", f"{text!r}: must start with a registry host")
    repository, _, tag = rest.partition(":")
    tag = tag or DB_SCHEMA_TAG
    if not _REPO.match(repository) or not _TAG.match(tag):
        raise InvalidInput("db-repository", f"{text!r}: not a valid repository[:tag]")
    return DBRef(registry, repository, tag)


def db_refs(option: str | None) -> list[DBRef]:
    """The repositories to try, in order: the option (comma-separated) or Trivy's default."""
    parts = [p for p in (option or "").split(",") if p.strip()] or list(DEFAULT_DB_REPOSITORIES)
    return [parse_db_ref(p) for p in parts]
