"""Registry auth state: per-scope bearer tokens with expiry, the learned Basic scheme (pure).

Thread-safe (one lock); time comes from an injected monotonic clock. Also the pure
pieces of the token flow: the token request's parameters and the response's token.
Token values never appear in messages.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from dataclasses import dataclass

from job_images.credentials import Credentials
from job_images.discovery.auth import Challenge

DEFAULT_EXPIRES_IN = 60.0  # what the distribution token spec says to assume
EXPIRY_MARGIN = 5.0  # refresh this many seconds early
MIN_LIFETIME = 1.0


@dataclass(frozen=True)
class _Token:
    value: str
    expires_at: float


class AuthCache:
    """The Authorization header for a scope, from what earlier challenges taught us."""

    def __init__(self, credentials: Credentials | None, clock: Callable[[], float]) -> None:
        self._creds = credentials
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, _Token] = {}
        self._basic = False

    def header(self, scope: str) -> dict[str, str]:
        with self._lock:
            token = self._tokens.get(scope)
            if token and token.expires_at > self._clock():
                return {"Authorization": f"Bearer {token.value}"}
            basic = self._basic
        if basic and self._creds:
            return {"Authorization": basic_header(self._creds)}
        return {}

    def use_basic(self) -> bool:
        """A Basic challenge: send credentials from now on. False if we have none."""
        if not self._creds:
            return False
        with self._lock:
            self._basic = True
        return True

    def store(self, scope: str, value: str, expires_in: float) -> None:
        lifetime = max(MIN_LIFETIME, expires_in - EXPIRY_MARGIN)
        with self._lock:
            self._tokens[scope] = _Token(value, self._clock() + lifetime)


def basic_header(creds: Credentials) -> str:
    return "Basic " + base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode()


def token_params(challenge: Challenge, scope: str) -> dict[str, str]:
    """Query of the token request: the challenge's service and scope (else ours)."""
    params = {"service": challenge.params.get("service", "")}
    wanted = challenge.params.get("scope") or scope
    if wanted:
        params["scope"] = wanted
    return params


def parse_token_response(body: object) -> tuple[str, float]:
    """(token, expires_in seconds) from a token service's JSON; ValueError if there is none."""
    if not isinstance(body, dict):
        raise ValueError("token response is not a JSON object")
    value = body.get("token") or body.get("access_token")
    if not value:
        raise ValueError("token response has no token")
    try:
        expires_in = float(body.get("expires_in") or DEFAULT_EXPIRES_IN)
    except (TypeError, ValueError) as exc:
        raise ValueError("token response has an unreadable expires_in") from exc
    return str(value), expires_in
