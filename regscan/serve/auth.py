"""Who may call `regscan serve`: the API token check (pure)."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
from collections.abc import Mapping


def presented_tokens(headers: Mapping[str, str]) -> list[str]:
    """Every token a request carries: Bearer, a Basic password, X-ScannerAdapter-API-Key."""
    found: list[str] = []
    scheme, _, value = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and value:
        found.append(value.strip())
    elif scheme.lower() == "basic" and value:
        with contextlib.suppress(binascii.Error, UnicodeDecodeError):
            found.append(base64.b64decode(value, validate=True).decode().partition(":")[2])
    key = headers.get("x-scanneradapter-api-key", "")
    if key:
        found.append(key.strip())
    return found


def authorized(headers: Mapping[str, str], token: str) -> bool:
    """True when any presented token equals `token` (constant-time compare)."""
    want = token.encode()
    return any(hmac.compare_digest(t.encode(), want) for t in presented_tokens(headers))
