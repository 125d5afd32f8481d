"""Why a registry request failed, in words a user can act on (does I/O typing only:
reads httpx/ssl/socket exception types; no request is made here).

`transport_failure` walks an httpx transport error's cause chain to the socket or TLS
error underneath and names it: TLS verification (with the verifier's reason), plain
HTTP where TLS was expected, name resolution, connection refused, timeout. Each
answer says whether trying again can help. `http_to_tls_server` recognises the
400 a TLS server sends to a plain-HTTP request.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass

import httpx

TLS_HINT = "pass --ca-file PEM or --insecure"


@dataclass(frozen=True)
class Failure:
    message: str
    retryable: bool


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def transport_failure(exc: httpx.TransportError, url: str, timeout: float) -> Failure:
    """The cause of a failed connection to `url` (scheme://host[:port]/...)."""
    chain = _chain(exc)
    host = httpx.URL(url).host
    for err in chain:
        if isinstance(err, ssl.SSLCertVerificationError):
            reason = err.verify_message or err.reason or str(err)
            return Failure(f"TLS verification failed: {reason}; {TLS_HINT}", False)
    for err in chain:
        if isinstance(err, ssl.SSLError):
            reason = str(err.reason or err)
            if reason in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG"):
                return Failure(
                    f"the server answered in plain HTTP, not TLS; use http://{_netloc(url)}",
                    False,
                )
            return Failure(f"TLS handshake failed: {reason}; {TLS_HINT}", False)
    for err in chain:
        if isinstance(err, socket.gaierror):
            return Failure(f"cannot resolve host name {host!r} (check the registry URL)", False)
        if isinstance(err, ConnectionRefusedError):
            return Failure(
                f"connection refused by {_netloc(url)} (is the registry running on that port?)",
                True,
            )
    text = " ".join(str(e) for e in chain)
    if isinstance(exc, httpx.TimeoutException):
        return Failure(f"no answer within {timeout:g} s (--timeout)", True)
    if "Name or service not known" in text or "nodename nor servname" in text:
        return Failure(f"cannot resolve host name {host!r} (check the registry URL)", False)
    if "Connection refused" in text:
        return Failure(f"connection refused by {_netloc(url)}", True)
    if isinstance(exc, httpx.RemoteProtocolError):
        return Failure(f"the server broke the HTTP protocol ({exc})", True)
    return Failure(f"connection failed ({type(exc).__name__}: {exc})", True)


def http_to_tls_server(url: str, status: int, body: bytes) -> bool:
    """A 400 from a TLS server that received plain HTTP (Go's net/http, nginx)."""
    if status != 400 or not url.startswith("http://"):
        return False
    text = body[:400].decode("utf-8", "replace")
    return "HTTP request to an HTTPS server" in text or "sent to HTTPS port" in text


def _netloc(url: str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.host}:{parsed.port}" if parsed.port else parsed.host


_ENDPOINTS = {
    "ping": "API check",
    "catalog": "repository catalog",
    "tags": "tag list",
    "head": "manifest",
    "get": "manifest",
    "blob": "image config",
}

_REASONS = {
    400: "bad request",
    401: "unauthorized: give credentials with --docker-config or --username/--password-stdin",
    403: "forbidden: the credentials lack permission for it",
    404: "not found",
    429: "rate limited, retries exhausted (try later or lower --concurrency)",
}


_CATALOG_REFUSED = {
    401: "catalog unavailable (unauthorized)",
    403: "catalog unavailable (forbidden)",
    404: "catalog unavailable (not found)",
}


def describe_status(kind: str, method: str, path: str, resp: httpx.Response) -> str:
    """One line for an HTTP error answer, naming the endpoint, the status's meaning and
    the registry's error code."""
    status = resp.status_code
    what = _REASONS.get(status, "server error" if status >= 500 else "request failed")
    if kind == "catalog" and status in (401, 403, 404):
        what = (
            f"{_CATALOG_REFUSED[status]}: this registry does not list its repositories to these "
            "credentials (Docker Hub, GHCR, ECR and GCR never do); name repositories "
            "explicitly, without wildcards (--repository NAME or spec.repositories[].name)"
        )
    elif status == 404 and kind == "tags":
        what = "not found: no such repository"
    elif status == 404 and kind in ("head", "get"):
        what = "not found: no such tag or digest"
    code = ""
    try:
        errors = resp.json().get("errors") or []
        if errors and isinstance(errors[0], dict):
            code = f" [{errors[0].get('code', '')}]"
    except (ValueError, AttributeError):
        pass
    endpoint = _ENDPOINTS.get(kind, kind)
    return f"{endpoint} ({method} {path.split('?')[0]}): {what}{code}"
