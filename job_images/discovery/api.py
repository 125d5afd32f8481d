"""The registry operations discovery needs, as a Protocol (pure).

`client.RegistryClient` implements it over HTTP; tests implement it in memory.
Every operation raises `RegistryError` when the registry refuses or cannot be
reached; implementations must be safe to call from several threads at once.
"""

from __future__ import annotations

from typing import Protocol

MAX_BLOB_BYTES = 1 << 20  # image configs are small; anything bigger is refused


class RegistryApi(Protocol):
    @property
    def host(self) -> str:
        """host[:port], as it appears in image references."""
        ...

    def ping(self) -> None:
        """GET /v2/: fails the run early when unreachable or the credentials are wrong."""
        ...

    def catalog(self) -> list[str]:
        """Every repository name (all pages)."""
        ...

    def tags(self, repository: str) -> list[str]:
        """Every tag of a repository (all pages)."""
        ...

    def head_manifest(self, repository: str, reference: str) -> tuple[str, str]:
        """(digest, media type) of a tag, without the body; the digest may be ''."""
        ...

    def get_manifest(self, repository: str, reference: str) -> tuple[bytes, str]:
        """(body, media type) of a manifest by tag or digest."""
        ...

    def get_blob(self, repository: str, digest: str, max_bytes: int = MAX_BLOB_BYTES) -> bytes:
        """A blob's bytes (used for image configs only)."""
        ...

    def request_counts(self) -> dict[str, int]:
        """A snapshot of the requests made so far, by kind (head, get, blob, retry, ...)."""
        ...

    def close(self) -> None: ...
