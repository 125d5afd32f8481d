"""The `harbor` scanner adapter's documents: what it sends to a Harbor Scanner Adapter
API server and how it reads the answers (pure; the HTTP is in `harbor_remote.py`).

Reads the reference adapters' quirks too (goharbor/harbor-scanner-trivy, replayed in
tests/harbor_api/reference_trivy/): a 302 with only `Location` (no `Refresh-After`),
errors typed `application/vnd.scanner.adapter.error; version=1.0` (no `+json`) or plain
text, a failed scan's error carrying Trivy's whole multi-line log, CVSS scores under
`vendor_attributes.CVSS` instead of `preferred_cvss`, no `severity` in a clean report.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from job_images.credentials import Credentials
from job_images.scanning.adapters.base import AdapterError
from job_images.scanning.scanner import ImageRef
from regscan.common import harbor_api
from regscan.common.reports import SEVERITIES, ScannerInfo, Vulnerability

DEFAULT_REFRESH = 1.0  # seconds, when a 302 names none
MAX_REFRESH = 30.0
MAX_MESSAGE = 500  # characters of a server's error message kept
DB_UPDATED = "harbor.scanner-adapter/vulnerability-database-updated-at"


@dataclass(frozen=True)
class RemoteScanner:
    """What `/metadata` says: the scanner's identity and whether it makes SBOMs."""

    info: ScannerInfo
    sbom: bool  # the sbom capability, with SPDX among its media types


def authorization(credentials: Credentials | None) -> str:
    """The registry's `Authorization` header value for the ScanRequest: Basic, or Bearer
    for a registry token ("" anonymous)."""
    if credentials is None:
        return ""
    if credentials.token:
        return f"Bearer {credentials.token}"
    raw = f"{credentials.username}:{credentials.password}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def scan_request(image: ImageRef, credentials: Credentials | None, sbom: bool) -> dict[str, Any]:
    capabilities: list[dict[str, Any]] = [
        {"type": "vulnerability", "produces_mime_types": [harbor_api.VULN_1_1]}
    ]
    if sbom:
        capabilities.append(
            {
                "type": "sbom",
                "produces_mime_types": [harbor_api.SBOM],
                "parameters": {"sbom_media_types": [harbor_api.SPDX]},
            }
        )
    return {
        "registry": {"url": image.registry_url, "authorization": authorization(credentials)},
        "artifact": {
            "repository": image.repository,
            "digest": image.digest,
            "tag": image.tags[0] if image.tags else "",
            "mime_type": harbor_api.OCI_MANIFEST,
        },
        "enabled_capabilities": capabilities,
    }


def remote_scanner(doc: object) -> RemoteScanner:
    """ScannerAdapterMetadata → identity and SBOM capability; a bad document raises."""
    if not isinstance(doc, dict) or not isinstance(doc.get("scanner"), dict):
        raise AdapterError("scanner metadata: no 'scanner' object", error_code="BadResponse")
    s = doc["scanner"]
    props = doc.get("properties") if isinstance(doc.get("properties"), dict) else {}
    info = ScannerInfo(
        name=str(s.get("name") or "harbor"),
        vendor=str(s.get("vendor") or ""),
        version=str(s.get("version") or ""),
        dbUpdatedAt=str(props[DB_UPDATED]) if props and props.get(DB_UPDATED) else None,
    )
    sbom = False
    for cap in doc.get("capabilities") or []:
        if isinstance(cap, dict) and cap.get("type") == "sbom":
            types = (cap.get("additional_attributes") or {}).get("sbom_media_types") or []
            sbom = harbor_api.SPDX in types
    return RemoteScanner(info, sbom)


def findings(doc: object) -> list[Vulnerability]:
    """HarborVulnerabilityReport → our findings (deduplicated, most severe first)."""
    if not isinstance(doc, dict):
        raise AdapterError("vulnerability report: not a JSON object", error_code="BadResponse")
    seen: dict[tuple[str, str, str], Vulnerability] = {}
    for v in doc.get("vulnerabilities") or []:
        if not isinstance(v, dict) or not v.get("id"):
            continue
        key = (str(v["id"]), str(v.get("package") or ""), str(v.get("version") or ""))
        cvss = v.get("preferred_cvss") if isinstance(v.get("preferred_cvss"), dict) else {}
        vendor = v.get("vendor_attributes") if isinstance(v.get("vendor_attributes"), dict) else {}
        score = cvss.get("score_v3") if cvss else _vendor_score(vendor or {})
        seen.setdefault(
            key,
            Vulnerability(
                id=key[0],
                package=key[1],
                installedVersion=key[2],
                fixedVersion=str(v.get("fix_version") or ""),
                severity=harbor_api.from_harbor_severity(v.get("severity")),
                title=str(v.get("description") or ""),
                purl=str((vendor or {}).get("purl") or ""),
                links=[str(x) for x in (v.get("links") or [])][:10],
                score=float(score) if isinstance(score, int | float) else None,
            ),
        )
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(seen.values(), key=lambda x: (order[x.severity], x.id, x.package))


def _vendor_score(vendor: dict[str, Any]) -> float | None:
    """The highest CVSS v3 score of Trivy's per-source `CVSS` map, where Harbor's Trivy
    adapter puts it (`vendor_attributes.CVSS.<source>.V3Score`; it sends no preferred_cvss).
    The same rule as regscan's own Trivy reports."""
    per_source = vendor.get("CVSS") if isinstance(vendor.get("CVSS"), dict) else {}
    scores = [
        float(s["V3Score"])
        for s in (per_source or {}).values()
        if isinstance(s, dict) and isinstance(s.get("V3Score"), int | float)
    ]
    return max(scores) if scores else None


def sbom_bytes(doc: object) -> bytes:
    """The SPDX document inside a HarborSbomReport."""
    if not isinstance(doc, dict) or not isinstance(doc.get("sbom"), dict):
        raise AdapterError("SBOM report: no 'sbom' object", error_code="BadResponse")
    if doc.get("media_type", harbor_api.SPDX) != harbor_api.SPDX:
        raise AdapterError(f"SBOM report: media_type {doc.get('media_type')!r}, not SPDX")
    return json.dumps(doc["sbom"]).encode()


def refresh_after(value: str | None) -> float:
    """Seconds to wait after a 302: its `Refresh-After`, else a default; bounded."""
    try:
        seconds = float(value) if value else DEFAULT_REFRESH
    except ValueError:
        seconds = DEFAULT_REFRESH
    return min(max(seconds, 0.1), MAX_REFRESH)


def one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    """A message as one line: its first line (who failed) and, when there are more, the last
    one naming an error (the innermost cause), whitespace collapsed, at most `limit`
    characters. (Harbor's Trivy adapter sends a failed scan's whole Trivy log.)"""
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    cause = next((line for line in reversed(lines[1:]) if "error" in line.lower()), "")
    out = f"{lines[0]} … {cause}" if cause else lines[0]
    return out if len(out) <= limit else out[: limit - 1] + "…"


def error_message(body: bytes) -> str:
    """`{error: {message}}` whatever the content type says, else the text; one line."""
    try:
        doc = json.loads(body)
        message = doc["error"]["message"] if isinstance(doc, dict) else None
        if message:
            return one_line(str(message)) or "no message"
    except (ValueError, KeyError, TypeError):
        pass
    return one_line(body.decode("utf-8", "replace"), 200) or "no message"


def http_error(status: int, body: bytes, what: str) -> AdapterError:
    """An HTTP answer as AdapterError: 404 resend, 429/5xx retryable, other 4xx and 501
    (the scanner has no such capability) not."""
    message = f"{what}: HTTP {status}: {error_message(body)}"
    if status == 404:
        return AdapterError(message, error_code="ScanNotFound", can_retry=True)
    if status in (401, 403):
        hint = " (check REGSCAN_SCANNER_TOKEN, or the Registry's spec.scanner.authSecret)"
        return AdapterError(message + hint, error_code="Unauthorized")
    if status == 429 or (status >= 500 and status != 501):
        return AdapterError(message, error_code="ScannerUnavailable", can_retry=True)
    return AdapterError(message, error_code="ScanRejected")
