"""The typed error tree shared by every regscan module (pure).

`InvalidInput` maps to exit code 2 and names the offending field; `OperationalError`
(and its subclasses) map to exit code 1. Adapters re-raise library errors as these
`from exc`, with the object they were working on in the message.
"""

from __future__ import annotations


class RegscanError(Exception):
    """Base of every error regscan raises on purpose."""

    exit_code = 1


class InvalidInput(RegscanError):
    """Bad user input; `field` names the option or spec field."""

    exit_code = 2

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


class OperationalError(RegscanError):
    """Something outside us failed (network, registry, store, scanner)."""


class TagFilterFailed(OperationalError):
    """Strict filters: a CEL condition could not be evaluated on a listed tag."""


class RegistryError(OperationalError):
    """A registry request failed; carries the registry host and HTTP status."""

    def __init__(self, registry: str, message: str, status: int | None = None) -> None:
        where = f"registry {registry}"
        code = f" (HTTP {status})" if status is not None else ""
        super().__init__(f"{where}: {message}{code}")
        self.registry = registry
        self.status = status
        self.detail = message


class ManifestError(RegistryError):
    """A manifest was malformed or of an unsupported type (per tag, not fatal)."""


class StoreError(OperationalError):
    """The object store (filesystem or S3) failed."""
