"""Registry URLs: scheme://host[:port] from what a user typed (pure)."""

from __future__ import annotations

from urllib.parse import urlsplit

from regscan.common.errors import InvalidInput


def normalize_registry_url(url: str, insecure: bool = False) -> tuple[str, str]:
    """Return (base_url, host:port). A bare host gets https (http with --insecure)."""
    text = url.strip().rstrip("/")
    if not text:
        raise InvalidInput("registry", "is empty")
    if "://" not in text:
        text = ("http://" if insecure else "https://") + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("registry", f"{url!r} is not an http(s) registry URL")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise InvalidInput("registry", f"{url!r} must be scheme://host[:port] only")
    return f"{parts.scheme}://{parts.netloc}", parts.netloc
