"""The OpenAPI 3.0 document `regscan serve` publishes at `GET /api/v1/openapi.json` (pure).

`components.schemas` are transcribed by hand from the `components.schemas` of
goharbor/pluggable-scanner-spec `api/spec/scanner-adapter-openapi-v1.2.yaml` (Apache-2.0):
the same names, property types, enums and required lists; descriptions and examples are
left out. The paths say what this server does: only the media types it consumes and
produces and the SBOM formats it serves (from `mime`, i.e. `regscan.common.harbor_api`),
every status it answers, the token schemes, a `links` entry from a 202's `id` to its
report, and the routes that need no token.
"""

from __future__ import annotations

import copy
from typing import Any

from regscan.common.harbor_api import API_PREFIX
from regscan.serve import mime

OPENAPI_PATH = API_PREFIX + "/openapi.json"
OPEN_PATHS = ("/healthz", "/metrics", OPENAPI_PATH)  # no token needed

_SEVERITY_ENUM = ["Unknown", "Negligible", "Low", "Medium", "High", "Critical"]
_CAPABILITY_TYPES = ["vulnerability", "sbom"]
_SBOM_MEDIA_TYPES = [mime.SPDX, mime.CYCLONEDX]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    out = {"type": "object", "properties": properties}
    return {**out, "required": required} if required else out


_STR: dict[str, Any] = {"type": "string"}
_STRINGS: dict[str, Any] = {"type": "array", "items": _STR}
_OPEN_OBJECT: dict[str, Any] = {"type": "object", "additionalProperties": True}
_DATE_TIME: dict[str, Any] = {"type": "string", "format": "date-time"}
_FLOAT: dict[str, Any] = {"type": "number", "format": "float"}

SCHEMAS: dict[str, Any] = {
    "Scanner": _obj({"name": _STR, "vendor": _STR, "version": _STR}),
    "ScannerAdapterMetadata": _obj(
        {
            "scanner": _ref("Scanner"),
            "capabilities": {"type": "array", "items": _ref("ScannerCapability")},
            "properties": _ref("ScannerProperties"),
        },
        ["scanner", "capabilities"],
    ),
    "ScannerProperties": {"type": "object", "additionalProperties": _STR},
    "ScannerCapability": _obj(
        {
            "type": {"type": "string", "enum": _CAPABILITY_TYPES},
            "consumes_mime_types": _STRINGS,
            "produces_mime_types": _STRINGS,
            "additional_attributes": {"type": "object"},
        },
        ["consumes_mime_types", "produces_mime_types"],
    ),
    "ScanRequest": _obj(
        {
            "registry": _ref("Registry"),
            "artifact": _ref("Artifact"),
            "enabled_capabilities": {
                "type": "array",
                "items": _obj(
                    {
                        "type": {"type": "string", "enum": _CAPABILITY_TYPES},
                        "produces_mime_types": _STRINGS,
                        "parameters": _ref("SbomParameters"),
                    },
                    ["type"],
                ),
            },
        },
        ["registry", "artifact"],
    ),
    "ScanResponse": _obj({"id": _ref("ScanRequestId")}, ["id"]),
    "ScanRequestId": _STR,
    "SbomParameters": _obj(
        {
            "sbom_media_types": {
                "type": "array",
                "items": {"type": "string", "enum": _SBOM_MEDIA_TYPES},
            }
        }
    ),
    "Registry": _obj({"url": {"type": "string", "format": "url"}, "authorization": _STR}),
    "Artifact": _obj({"repository": _STR, "digest": _STR, "tag": _STR, "mime_type": _STR}),
    "HarborVulnerabilityReport": _obj(
        {
            "generated_at": _DATE_TIME,
            "artifact": _ref("Artifact"),
            "scanner": _ref("Scanner"),
            "severity": _ref("Severity"),
            "vulnerabilities": {"type": "array", "items": _ref("VulnerabilityItem")},
        }
    ),
    "VulnerabilityItem": _obj(
        {
            "id": _STR,
            "package": _STR,
            "version": _STR,
            "fix_version": _STR,
            "severity": _ref("Severity"),
            "description": _STR,
            "links": {"type": "array", "items": {"type": "string", "format": "uri"}},
            "preferred_cvss": _ref("CVSSDetails"),
            "cwe_ids": _STRINGS,
            "vendor_attributes": _OPEN_OBJECT,
        }
    ),
    "Severity": {"type": "string", "enum": _SEVERITY_ENUM},
    "HarborSbomReport": _obj(
        {
            "generated_at": _DATE_TIME,
            "artifact": _ref("Artifact"),
            "scanner": _ref("Scanner"),
            "vendor_attributes": _OPEN_OBJECT,
            "media_type": {"type": "string", "enum": _SBOM_MEDIA_TYPES},
            "sbom": _OPEN_OBJECT,
        }
    ),
    "ErrorResponse": _obj({"error": _ref("Error")}),
    "Error": _obj({"message": _STR}),
    "CVSSDetails": _obj(
        {"score_v3": _FLOAT, "score_v2": _FLOAT, "vector_v3": _STR, "vector_v2": _STR}
    ),
    # regscan's own, not in the Harbor spec:
    "Health": _obj({"status": {"type": "string", "enum": ["ok"]}}, ["status"]),
}

SECURITY_SCHEMES: dict[str, Any] = {
    "BearerAuth": {"type": "http", "scheme": "bearer"},
    "BasicAuth": {"type": "http", "scheme": "basic"},  # the token is the password
    "ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-ScannerAdapter-API-Key"},
}


def _content(schema: str, *media_types: str) -> dict[str, Any]:
    return {m: {"schema": _ref(schema)} for m in media_types}


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    out = {"description": description, "content": _content("ErrorResponse", mime.ERROR)}
    return {**out, "headers": headers} if headers else out


def _header(schema_type: str, description: str, required: bool = True) -> dict[str, Any]:
    return {"description": description, "required": required, "schema": {"type": schema_type}}


_UNAUTHORIZED = _error(
    "REGSCAN_API_TOKEN is set and the request carries no token, or a wrong one",
    {"WWW-Authenticate": _header("string", "Bearer realm")},
)


def _metadata_op() -> dict[str, Any]:
    return {
        "operationId": "GetMetadata",
        "summary": "The scanner, its capabilities and its DB's age",
        "responses": {
            "200": {
                "description": "Scanner's metadata and capabilities",
                "content": _content("ScannerAdapterMetadata", mime.METADATA),
            },
            "401": _UNAUTHORIZED,
            "500": _error("The scanner's metadata could not be read"),
        },
    }


def _scan_op() -> dict[str, Any]:
    versions = (mime.SCAN_REQUEST + "; version=1.1", mime.SCAN_REQUEST + "; version=1.0")
    return {
        "operationId": "AcceptScanRequest",
        "summary": "Queue a scan (answered from the store when its report is current)",
        "requestBody": {"required": True, "content": _content("ScanRequest", *versions)},
        "responses": {
            "202": {
                "description": "Scan request accepted",
                "content": _content("ScanResponse", mime.SCAN_RESPONSE),
                "links": {
                    "GetScanReport": {
                        "operationId": "GetScanReport",
                        "parameters": {"scan_request_id": "$response.body#/id"},
                    }
                },
            },
            "400": _error("Not JSON, the wrong type of JSON values, or a wrong Content-Type"),
            "401": _UNAUTHORIZED,
            "422": _error(
                "An invalid field: registry.url, artifact.repository or .digest, "
                "a capability type, registry.authorization"
            ),
            "429": _error(
                "Too many scans waiting (--queue-limit)",
                {"Retry-After": _header("integer", "Seconds to wait before sending again")},
            ),
            "500": _error("Internal server error"),
            "501": _error("No capability for the artifact's MIME type or the asked report type"),
        },
    }


def _report_op() -> dict[str, Any]:
    produced = (*mime.VULN_PRODUCES, *mime.SBOM_PRODUCES)
    ok = _content("HarborVulnerabilityReport", *mime.VULN_PRODUCES)
    ok.update(_content("HarborSbomReport", *mime.SBOM_PRODUCES))
    return {
        "operationId": "GetScanReport",
        "summary": "The report of a scan request, in the media type `Accept` asks for",
        "parameters": [
            {
                "name": "scan_request_id",
                "in": "path",
                "required": True,
                "schema": _ref("ScanRequestId"),
            },
            {
                "name": "Accept",
                "in": "header",
                "description": "A produced report type; none or */* means " + mime.VULN_1_1,
                "schema": {"type": "string", "enum": [*produced, "*/*"]},
            },
            {
                "name": "sbom_media_type",
                "in": "query",
                "description": "The SBOM's format, needed with Accept: " + mime.SBOM,
                "schema": {"type": "string", "enum": list(mime.SBOM_MEDIA_TYPES)},
            },
        ],
        "responses": {
            "200": {"description": "Scan report", "content": ok},
            "302": {
                "description": "The scan is queued or running; ask again later",
                "headers": {
                    "Refresh-After": _header("integer", "Seconds to wait before asking again"),
                    "Location": _header("string", "This report's URL"),
                },
            },
            "400": _error("An SBOM asked without a valid sbom_media_type"),
            "401": _UNAUTHORIZED,
            "404": _error("Unknown scan request id (e.g. after a restart): send the scan again"),
            "500": _error("The scan failed (its one-line cause)"),
            "501": _error("A report type or SBOM format this server does not produce"),
        },
    }


def _open_get(operation_id: str, summary: str, content: dict[str, Any]) -> dict[str, Any]:
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "security": [],
            "responses": {"200": {"description": summary, "content": content}},
        }
    }


def document(metrics_media_type: str) -> dict[str, Any]:
    """The whole OpenAPI 3.0 document (a fresh copy: nothing shared with a caller that
    edits it); `metrics_media_type` is the Prometheus exposition type the /metrics route
    sends (the client library's constant, passed in)."""
    doc = {
        "openapi": "3.0.3",
        "info": {
            "title": "regscan serve: Harbor Scanner Adapter API",
            "version": "1.2",
            "description": "The Harbor Scanner Adapter API v1.2 as regscan serves it. With "
            "REGSCAN_API_TOKEN set, every /api/v1 operation but this document needs the "
            "token (Bearer, Basic password or X-ScannerAdapter-API-Key).",
        },
        "servers": [{"url": "/"}],
        "security": [{name: []} for name in SECURITY_SCHEMES],
        "paths": {
            API_PREFIX + "/metadata": {"get": _metadata_op()},
            API_PREFIX + "/scan": {"post": _scan_op()},
            API_PREFIX + "/scan/{scan_request_id}/report": {"get": _report_op()},
            OPENAPI_PATH: _open_get(
                "GetOpenAPI", "This document", {"application/json": {"schema": _OPEN_OBJECT}}
            ),
            "/healthz": _open_get(
                "Healthz", "The server is up", _content("Health", "application/json")
            ),
            "/metrics": _open_get(
                "Metrics", "Prometheus metrics", {metrics_media_type: {"schema": _STR}}
            ),
        },
        "components": {"schemas": SCHEMAS, "securitySchemes": SECURITY_SCHEMES},
    }
    return copy.deepcopy(doc)
