"""The Harbor Scanner Adapter API's documents, to and from regscan's (pure).

ScanRequest → an image and its credentials (or a 400/422/501 message); our
normalized Report → HarborVulnerabilityReport; ScannerInfo → ScannerAdapterMetadata;
severities both ways (Harbor: Unknown|Negligible|Low|Medium|High|Critical).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from job_images.credentials import Credentials
from job_images.discovery.urls import normalize_registry_url
from job_images.scanning.scanner import ImageRef
from regscan.common.errors import InvalidInput
from regscan.common.harbor_api import from_harbor_severity, to_harbor_severity
from regscan.common.reports import Report, ScannerInfo, Vulnerability
from regscan.serve import mime

__all__ = ["from_harbor_severity", "parse_scan_request", "to_harbor_severity"]

_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
CAPABILITIES = ("vulnerability", "sbom")


class RequestRejected(Exception):
    """A ScanRequest we will not run: its HTTP status and one-line message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class ScanOrder:
    image: ImageRef
    credentials: Credentials | None
    capabilities: tuple[str, ...]  # vulnerability and/or sbom


def credentials_of(authorization: str) -> Credentials | None:
    """`registry.authorization` (an Authorization header value) as credentials."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() == "basic":
        try:
            user, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise RequestRejected(422, "registry.authorization: not base64 user:password") from exc
        if not sep:
            raise RequestRejected(422, "registry.authorization: Basic value has no ':'")
        return Credentials(user, password)
    if scheme.lower() == "bearer":
        token = value.strip()
        if not token or any(c.isspace() for c in token):
            raise RequestRejected(422, "registry.authorization: Bearer needs one token")
        return Credentials.bearer(token)
    raise RequestRejected(
        422,
        f"registry.authorization: scheme {scheme[:20]!r} not supported; "
        "send Basic user:password or Bearer <token>",
    )


def _str(doc: dict[str, Any], key: str, where: str) -> str:
    value = doc.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RequestRejected(400, f"{where}.{key}: must be a string")
    return value


def _capabilities(raw: object) -> tuple[str, ...]:
    if raw is None:
        return CAPABILITIES
    if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
        raise RequestRejected(400, "enabled_capabilities: must be a list of objects")
    wanted: list[str] = []
    for cap in raw:
        kind = cap.get("type")
        if kind not in CAPABILITIES:
            raise RequestRejected(
                422, f"enabled_capabilities.type: {kind!r} is not one of {CAPABILITIES}"
            )
        produced = mime.VULN_PRODUCES if kind == "vulnerability" else mime.SBOM_PRODUCES
        asked = cap.get("produces_mime_types") or []
        if not isinstance(asked, list):
            raise RequestRejected(400, "enabled_capabilities.produces_mime_types: must be a list")
        known = {mime.normalize(p) for p in produced}
        for media_type in asked:
            if mime.normalize(str(media_type)) not in known:
                raise RequestRejected(501, f"no capability produces {media_type!r}")
        wanted.append(str(kind))
    return tuple(wanted) or CAPABILITIES


def parse_scan_request(body: bytes) -> ScanOrder:
    """A ScanRequest body checked field by field: 400 malformed, 422 invalid, 501 unsupported."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RequestRejected(400, f"body is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise RequestRejected(400, "body must be a JSON object")
    registry, artifact = doc.get("registry"), doc.get("artifact")
    if not isinstance(registry, dict) or not isinstance(artifact, dict):
        raise RequestRejected(400, "registry and artifact must be objects")
    url = _str(registry, "url", "registry")
    try:
        registry_url, host = normalize_registry_url(url)
    except InvalidInput as exc:
        raise RequestRejected(422, f"registry.url: {exc.reason}") from exc
    repository = _str(artifact, "repository", "artifact")
    digest = _str(artifact, "digest", "artifact")
    tag = _str(artifact, "tag", "artifact")
    mime_type = _str(artifact, "mime_type", "artifact")
    if not repository:
        raise RequestRejected(422, "artifact.repository: is empty")
    if not _DIGEST.match(digest):
        raise RequestRejected(422, "artifact.digest: must be sha256:<64 hex digits>")
    if mime_type and mime.normalize(mime_type) not in {mime.normalize(m) for m in mime.CONSUMES}:
        raise RequestRejected(501, f"artifact.mime_type {mime_type!r} is not scanned")
    capabilities = _capabilities(doc.get("enabled_capabilities"))
    credentials = credentials_of(_str(registry, "authorization", "registry"))
    tags = (tag,) if tag else ()
    image = ImageRef(registry_url, host, repository, digest, tags)
    return ScanOrder(image, credentials, capabilities)


def metadata(
    info: ScannerInfo, sbom_media_types: tuple[str, ...] = mime.SBOM_MEDIA_TYPES
) -> dict[str, Any]:
    """ScannerAdapterMetadata for this server's scanner (SBOMs in `sbom_media_types`)."""
    properties = {"harbor.scanner-adapter/scanner-type": "os-package-vulnerability"}
    if info.db_updated_at:
        properties["harbor.scanner-adapter/vulnerability-database-updated-at"] = info.db_updated_at
    consumes = list(mime.CONSUMES)
    return {
        "scanner": {"name": info.name, "vendor": info.vendor, "version": info.version},
        "capabilities": [
            {
                "type": "vulnerability",
                "consumes_mime_types": consumes,
                "produces_mime_types": list(mime.VULN_PRODUCES),
            },
            {
                "type": "sbom",
                "consumes_mime_types": consumes,
                "produces_mime_types": list(mime.SBOM_PRODUCES),
                "additional_attributes": {"sbom_media_types": list(sbom_media_types)},
            },
        ],
        "properties": properties,
    }


def _artifact(image: ImageRef) -> dict[str, Any]:
    out: dict[str, Any] = {"repository": image.repository, "digest": image.digest}
    if image.tags:
        out["tag"] = image.tags[0]
    return out


def _scanner(info: ScannerInfo) -> dict[str, str]:
    return {"name": info.name, "vendor": info.vendor, "version": info.version}


def _item(v: Vulnerability) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": v.id,
        "package": v.package,
        "version": v.installed_version,
        "fix_version": v.fixed_version,
        "severity": to_harbor_severity(v.severity),
        "description": v.title,
        "links": list(v.links),
    }
    if v.score is not None:
        item["preferred_cvss"] = {"score_v3": v.score}
    if v.purl:
        item["vendor_attributes"] = {"purl": v.purl}
    return item


def vulnerability_report(report: Report, image: ImageRef) -> dict[str, Any]:
    """HarborVulnerabilityReport (both 1.0 and 1.1 have this shape)."""
    return {
        "generated_at": report.generated_at,
        "artifact": _artifact(image),
        "scanner": _scanner(report.scanner),
        "severity": to_harbor_severity(report.severity),
        "vulnerabilities": [_item(v) for v in report.vulnerabilities],
    }


def sbom_report(
    sbom: dict[str, Any], report: Report, image: ImageRef, media_type: str = mime.SPDX
) -> dict[str, Any]:
    """HarborSbomReport around the stored SBOM document (SPDX or CycloneDX)."""
    return {
        "generated_at": report.generated_at,
        "artifact": _artifact(image),
        "scanner": _scanner(report.scanner),
        "media_type": media_type,
        "sbom": sbom,
    }


def error(message: str) -> dict[str, Any]:
    return {"error": {"message": message}}
