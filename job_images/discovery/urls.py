"""Registry URLs: scheme://host[:port] from what a user typed (pure).

`docker.io` means Docker Hub's API host, `registry-1.docker.io`, as the docker CLI does
(`docker.io` itself serves no registry API).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from regscan.common.errors import InvalidInput

DOCKER_HUB_API = "registry-1.docker.io"


def normalize_registry_url(url: str, insecure: bool = False) -> tuple[str, str]:
    """Return (base_url, host:port). A bare host means https, like docker and skopeo
    (`insecure` only relaxes TLS checks; plain HTTP needs an explicit http://)."""
    text = url.strip().rstrip("/")
    if not text or text in ("http:", "https:"):
        raise InvalidInput("registry", f"{url!r} names no host; give https://HOST[:PORT]")
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
    except ValueError as exc:  # e.g. "http://[": an unclosed IPv6 bracket
        raise InvalidInput("registry", f"{url!r} is not a URL ({exc})") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("registry", f"{url!r} is not an http(s) registry URL with a host")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise InvalidInput("registry", f"{url!r} must be scheme://host[:port] only")
    try:
        port = parts.port
    except ValueError as exc:
        raise InvalidInput("registry", f"{url!r}: the port must be 1-65535") from exc
    if port == 0:
        raise InvalidInput("registry", f"{url!r}: the port must be 1-65535")
    if parts.netloc.lower() == "docker.io" and parts.scheme == "https":
        return f"https://{DOCKER_HUB_API}", DOCKER_HUB_API
    return f"{parts.scheme}://{parts.netloc}", parts.netloc
