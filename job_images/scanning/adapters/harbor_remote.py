"""The `harbor` scanner adapter: a client of any Harbor Scanner Adapter API v1.2 server
(Harbor's Trivy, Clair, Anchore … adapters, or `regscan serve`). Does I/O (httpx); the
documents are read and written by `harbor_remote_docs.py`.

It implements the `ScannerAdapter` Protocol (adapters/base.py) directly: the remote
scanner pulls the image itself, so there is no local SBOM step. Reports, SARIF and the
SBOM (when the server has the sbom capability) are stored like the Trivy adapter's;
storage, policy and lifecycle of stored results reuse `ScanAdapter`'s.

The adapter's token comes from `REGSCAN_SCANNER_TOKEN` or the file named by
`REGSCAN_SCANNER_TOKEN_FILE` (a mounted Secret), sent as `Bearer` (or, with
`REGSCAN_SCANNER_AUTH=basic|api-key`, as Basic credentials — `user:password`, or a password
for user `regscan` — or `X-ScannerAdapter-API-Key`). A Job's contract sets both
(`ScannerOptions.token_file`, `auth_scheme`).
"""

from __future__ import annotations

import base64
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

from job_images.credentials import Credentials
from job_images.scanning import artifacts
from job_images.scanning.adapters import harbor_remote_docs as docs
from job_images.scanning.adapters.base import AdapterError, AdapterSettings, ScanResult
from job_images.scanning.adapters.harbor import ScanAdapter, StoredResultsOnly
from job_images.scanning.plan import stale_digests
from job_images.scanning.policy import Policy
from job_images.scanning.report import report_from_findings
from job_images.scanning.scanner import ImageRef
from regscan.common import harbor_api
from regscan.common.errors import InvalidInput
from regscan.common.reports import CheckResult, Report, ScannerInfo
from regscan.common.timeutil import iso, utcnow

TOKEN_ENV = "REGSCAN_SCANNER_TOKEN"
TOKEN_FILE_ENV = "REGSCAN_SCANNER_TOKEN_FILE"
AUTH_ENV = "REGSCAN_SCANNER_AUTH"


def auth_headers(env: Mapping[str, str]) -> dict[str, str]:
    """The adapter-API auth header from the environment (none when no token is set)."""
    token = env.get(TOKEN_ENV, "")
    if not token and env.get(TOKEN_FILE_ENV):
        token = Path(env[TOKEN_FILE_ENV]).read_text().strip()
    if not token:
        return {}
    style = env.get(AUTH_ENV, "bearer").lower()
    if style == "basic":
        user_password = token if ":" in token else f"regscan:{token}"
        return {"Authorization": "Basic " + base64.b64encode(user_password.encode()).decode()}
    if style in ("api-key", "apikey"):
        return {"X-ScannerAdapter-API-Key": token}
    if style != "bearer":
        raise InvalidInput(AUTH_ENV, f"{style!r} is not bearer, basic or api-key")
    return {"Authorization": f"Bearer {token}"}


class HarborRemoteAdapter:
    """A `ScannerAdapter` whose scans run on a Harbor-compatible adapter at `url`."""

    def __init__(
        self,
        url: str,
        timeout: float = 300.0,
        env: Mapping[str, str] = os.environ,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], Any] = utcnow,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise InvalidInput("scanner-url", f"{url!r} is not an http(s) URL")
        self.base = url.rstrip("/").removesuffix(harbor_api.API_PREFIX) + harbor_api.API_PREFIX
        self.timeout = timeout
        self.sleep = sleep
        self.clock = clock
        self._client = httpx.Client(
            headers=auth_headers(env), timeout=30, transport=transport, trust_env=False
        )
        self._remote: docs.RemoteScanner | None = None
        self._lock = threading.Lock()
        self._stored = ScanAdapter(StoredResultsOnly(), clock=clock)

    # ---- configuration and metadata ---------------------------------------
    def configure(self, settings: AdapterSettings) -> None:
        self._stored.configure(settings)

    def prepare(self) -> None:
        self._remote_scanner()

    def metadata(self) -> ScannerInfo:
        return self._remote_scanner().info

    def _remote_scanner(self) -> docs.RemoteScanner:
        with self._lock:
            if self._remote is None:
                r = self._request("GET", "/metadata", "scanner metadata")
                self._remote = docs.remote_scanner(_json(r, "scanner metadata"))
            return self._remote

    # ---- scanning -----------------------------------------------------------
    def scan_image(self, image: ImageRef, credentials: Credentials | None) -> ScanResult:
        remote = self._remote_scanner()
        what = f"scan of {image.reference} by {self.base}"
        body = docs.scan_request(image, credentials, remote.sbom)
        deadline = time.monotonic() + self.timeout
        scan_id = self._post_scan(body, what)
        report_doc, scan_id = self._poll(scan_id, body, harbor_api.VULN_1_1, {}, deadline, what)
        found = docs.findings(report_doc)
        store = self._stored.store
        if remote.sbom:
            params = {"sbom_media_type": harbor_api.SPDX}
            sbom_doc, _ = self._poll(scan_id, body, harbor_api.SBOM, params, deadline, what)
            artifacts.save_sbom(store, image.digest, docs.sbom_bytes(sbom_doc))
        report = report_from_findings(image.artifact, remote.info, found, iso(self.clock()))
        artifacts.save_report(store, report)  # findings only: verdicts live in the run index
        return ScanResult(report=report, check=self.evaluate(report))

    def rescan_image(
        self, image: ImageRef, credentials: Credentials | None, previous: Report | None
    ) -> ScanResult:
        """The remote scanner scans images, not stored SBOMs: scan again."""
        return self.scan_image(image, credentials)

    def _post_scan(self, body: dict[str, Any], what: str) -> str:
        headers = {"Content-Type": harbor_api.SCAN_REQUEST + "; version=1.1"}
        r = self._request("POST", "/scan", what, json=body, headers=headers)
        doc = _json(r, what)
        scan_id = doc.get("id") if isinstance(doc, dict) else None
        if not scan_id:
            raise AdapterError(f"{what}: the 202 answer has no id", error_code="BadResponse")
        return str(scan_id)

    def _poll(
        self,
        scan_id: str,
        body: dict[str, Any],
        accept: str,
        params: dict[str, str],
        deadline: float,
        what: str,
    ) -> tuple[Any, str]:
        resent = False
        while True:
            path = f"/scan/{scan_id}/report"
            r = self._send("GET", path, what, headers={"Accept": accept}, params=params)
            if r.status_code == 200:
                return _json(r, what), scan_id
            if r.status_code == 404 and not resent:  # the server forgot it: send again
                scan_id, resent = self._post_scan(body, what), True
                continue
            if r.status_code != 302:
                raise docs.http_error(r.status_code, r.content, what)
            wait = docs.refresh_after(r.headers.get("Refresh-After"))
            if time.monotonic() + wait > deadline:
                raise AdapterError(
                    f"{what}: no report within {self.timeout:g} s",
                    error_code="Timeout",
                    can_retry=True,
                )
            self.sleep(wait)

    # ---- HTTP -----------------------------------------------------------------
    def _send(self, method: str, path: str, what: str, **kw: Any) -> httpx.Response:
        try:
            return self._client.request(method, self.base + path, follow_redirects=False, **kw)
        except httpx.TimeoutException as exc:
            raise AdapterError(
                f"{what}: no answer from {self.base}", error_code="Timeout", can_retry=True
            ) from exc
        except httpx.TransportError as exc:
            raise AdapterError(
                f"{what}: cannot reach {self.base}: {exc}",
                error_code="ScannerUnavailable",
                can_retry=True,
            ) from exc

    def _request(self, method: str, path: str, what: str, **kw: Any) -> httpx.Response:
        r = self._send(method, path, what, **kw)
        if r.status_code >= 300:
            raise docs.http_error(r.status_code, r.content, what)
        return r

    # ---- stored results -------------------------------------------------------
    def notify_image_deleted(self, image: ImageRef) -> None:
        self._stored.notify_image_deleted(image)

    def sbom_media_types(self) -> tuple[str, ...]:
        return self._stored.sbom_media_types()  # the SPDX SBOM the server sent, as stored

    def stored_sbom(self, digest: str, media_type: str) -> bytes | None:
        return self._stored.stored_sbom(digest, media_type)

    def evaluate(self, report: Report) -> CheckResult:
        return self._stored.evaluate(report)

    @property
    def policy(self) -> Policy:
        return self._stored.policy

    def revalidate(self, stored: Report) -> ScanResult | None:
        """The remote scanner's DB cannot be fingerprinted here: a stale report is rescanned."""
        return None

    def check_image(self, image: ImageRef) -> CheckResult:
        return self._stored.check_image(image)

    def handle_notification(self, payload: dict[str, Any]) -> list[str]:
        if payload.get("type") != "db-updated":
            return []
        return stale_digests(artifacts.stored_reports(self._stored.store), self.metadata())


def _json(r: httpx.Response, what: str) -> Any:
    try:
        return r.json()
    except ValueError as exc:
        raise AdapterError(f"{what}: the answer is not JSON", error_code="BadResponse") from exc
