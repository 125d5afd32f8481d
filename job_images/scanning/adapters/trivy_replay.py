"""Keep what a `trivy sbom` client sends the run's server, and send it again later (does I/O:
a loopback HTTP proxy thread, HTTP calls to the server).

`CaptureProxy` sits between the run's `trivy sbom` clients and its `trivy server`: each
client gets its own URL (`/capture/<token>`), and the proxy keeps the client's PutBlob and
Scan requests under that token (trivy_twirp.ScanMemo). `replay` sends a memo to the server:
one PutBlob, one Scan, one DeleteBlobs, each a few milliseconds, instead of a Trivy process
(~0.09 CPU-s) per SBOM. A memo is only ever a shortcut: when its replay fails, the SBOM is
scanned by a process as before.
"""

from __future__ import annotations

import http.client
import logging
import secrets
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from job_images.scanning.adapters.trivy_twirp import (
    ScanMemo,
    WireError,
    delete_blobs_request,
    rekeyed,
)

log = logging.getLogger("regscan.scan")

PUT_BLOB = "/twirp/trivy.cache.v1.Cache/PutBlob"
SCAN = "/twirp/trivy.scanner.v1.Scanner/Scan"
DELETE_BLOBS = "/twirp/trivy.cache.v1.Cache/DeleteBlobs"
_HOP_HEADERS = ("content-length", "transfer-encoding", "connection", "date", "server")
_PROTOBUF = {"Content-Type": "application/protobuf", "Accept": "application/protobuf"}


class ReplayFailed(Exception):
    """The server refused or did not answer a replayed request."""


def _exchange(
    server: str, path: str, body: bytes, headers: dict[str, str], timeout: float
) -> tuple[int, list[tuple[str, str]], bytes]:
    """One POST to the server: (status, response headers, body); ReplayFailed when it does
    not answer."""
    url = urllib.parse.urlsplit(server)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port or 80, timeout=timeout)
    try:
        conn.request("POST", path, body, headers)
        resp = conn.getresponse()
        return resp.status, resp.getheaders(), resp.read()
    except (OSError, http.client.HTTPException) as exc:
        raise ReplayFailed(f"{path}: {exc}") from exc
    finally:
        conn.close()


def _post(server: str, path: str, body: bytes, timeout: float) -> bytes:
    status, _, data = _exchange(server, path, body, _PROTOBUF, timeout)
    if status != 200:
        raise ReplayFailed(f"{path}: HTTP {status} {data[:200]!r}")
    return data


def replay(server: str, memo: ScanMemo, timeout: float) -> bytes:
    """The server's ScanResponse for the memo's SBOM, under a key of this call's own."""
    key = "regscan:" + secrets.token_hex(16)
    try:
        put_blob, scan = rekeyed(memo.put_blob, memo.scan, key)
    except WireError as exc:
        raise ReplayFailed(f"memo: {exc}") from exc
    _post(server, PUT_BLOB, put_blob, timeout)
    try:
        return _post(server, SCAN, scan, timeout)
    finally:
        try:
            _post(server, DELETE_BLOBS, delete_blobs_request(key), timeout)
        except ReplayFailed as exc:  # the server's cache dies with the run anyway
            log.debug("trivy server: blob %s not deleted: %s", key, exc)


class CaptureProxy:
    """A loopback proxy to `upstream` (a `trivy server` URL) that keeps, per client URL
    from `client_url()`, the client's PutBlob and Scan requests (`take`)."""

    def __init__(self, upstream: str, timeout: float) -> None:
        self.upstream, self.timeout = upstream, timeout
        self._lock = threading.Lock()
        self._seen: dict[str, dict[str, bytes]] = {}
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                proxy._forward(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"
        threading.Thread(target=self._http.serve_forever, name="trivy-capture", daemon=True).start()

    def client_url(self) -> tuple[str, str]:
        """(token, the --server URL for one client)."""
        token = secrets.token_hex(12)
        with self._lock:
            self._seen[token] = {}
        return token, f"{self.url}/capture/{token}"

    def take(self, token: str) -> tuple[bytes, bytes] | None:
        """(PutBlob, Scan) the client of `token` sent, if it sent both; forgets the token."""
        with self._lock:
            seen = self._seen.pop(token, {})
        if PUT_BLOB in seen and SCAN in seen:
            return seen[PUT_BLOB], seen[SCAN]
        return None

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def _forward(self, req: BaseHTTPRequestHandler) -> None:
        _, prefix, token, path = [*req.path.split("/", 3), "", "", ""][:4]
        path = "/" + path
        body = req.rfile.read(int(req.headers.get("Content-Length") or 0))
        with self._lock:
            seen = self._seen.get(token) if prefix == "capture" else None
            if seen is not None and path in (PUT_BLOB, SCAN):
                seen[path] = body
        if seen is None:
            req.send_error(404, "unknown client")
            return
        headers = {
            k: v for k, v in req.headers.items() if k.lower() not in ("host", "content-length")
        }
        try:
            status, answer, data = _exchange(self.upstream, path, body, headers, self.timeout)
        except ReplayFailed as exc:
            req.send_error(502, f"trivy server: {exc}")
            return
        req.send_response(status)
        for k, v in answer:
            if k.lower() not in _HOP_HEADERS:
                req.send_header(k, v)
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)
