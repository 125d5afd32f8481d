"""JSON Schemas of the Harbor Scanner Adapter API v1.2 documents, written from the
`components.schemas` of goharbor/pluggable-scanner-spec `api/spec/scanner-adapter-openapi-v1.2.yaml`
(Apache-2.0), plus `validate(doc, name)`. Each property keeps the spec's type and enum;
OpenAPI-only keywords (example, description) are left out.
"""

from __future__ import annotations

from typing import Any

import jsonschema

_SEVERITY = {
    "type": "string",
    "enum": ["Unknown", "Negligible", "Low", "Medium", "High", "Critical"],
}
_ARRAY_OF_STRINGS = {"type": "array", "items": {"type": "string"}}

DEFS: dict[str, Any] = {
    "Scanner": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "vendor": {"type": "string"},
            "version": {"type": "string"},
        },
    },
    "ScannerCapability": {
        "type": "object",
        "required": ["consumes_mime_types", "produces_mime_types"],
        "properties": {
            "type": {"type": "string", "enum": ["vulnerability", "sbom"]},
            "consumes_mime_types": _ARRAY_OF_STRINGS,
            "produces_mime_types": _ARRAY_OF_STRINGS,
            "additional_attributes": {"type": "object"},
        },
    },
    "ScannerProperties": {"type": "object", "additionalProperties": {"type": "string"}},
    "ScannerAdapterMetadata": {
        "type": "object",
        "required": ["scanner", "capabilities"],
        "properties": {
            "scanner": {"$ref": "#/$defs/Scanner"},
            "capabilities": {"type": "array", "items": {"$ref": "#/$defs/ScannerCapability"}},
            "properties": {"$ref": "#/$defs/ScannerProperties"},
        },
    },
    "Registry": {
        "type": "object",
        "properties": {"url": {"type": "string"}, "authorization": {"type": "string"}},
    },
    "SbomParameters": {
        "type": "object",
        "properties": {
            "sbom_media_types": {
                "type": "array",
                "items": {
                    "type": "string",
                    "enum": ["application/spdx+json", "application/vnd.cyclonedx+json"],
                },
            },
        },
    },
    "ScanRequest": {
        "type": "object",
        "required": ["registry", "artifact"],
        "properties": {
            "registry": {"$ref": "#/$defs/Registry"},
            "artifact": {"$ref": "#/$defs/Artifact"},
            "enabled_capabilities": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["type"],
                    "properties": {
                        "type": {"type": "string", "enum": ["vulnerability", "sbom"]},
                        "produces_mime_types": _ARRAY_OF_STRINGS,
                        "parameters": {"$ref": "#/$defs/SbomParameters"},
                    },
                },
            },
        },
    },
    "ScanResponse": {
        "type": "object",
        "required": ["id"],
        "properties": {"id": {"type": "string"}},
    },
    "Artifact": {
        "type": "object",
        "properties": {
            "repository": {"type": "string"},
            "digest": {"type": "string"},
            "tag": {"type": "string"},
            "mime_type": {"type": "string"},
        },
    },
    "CVSSDetails": {
        "type": "object",
        "properties": {
            "score_v3": {"type": "number"},
            "score_v2": {"type": "number"},
            "vector_v3": {"type": "string"},
            "vector_v2": {"type": "string"},
        },
    },
    "VulnerabilityItem": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "package": {"type": "string"},
            "version": {"type": "string"},
            "fix_version": {"type": "string"},
            "severity": _SEVERITY,
            "description": {"type": "string"},
            "links": {"type": "array", "items": {"type": "string", "format": "uri"}},
            "preferred_cvss": {"$ref": "#/$defs/CVSSDetails"},
            "cwe_ids": _ARRAY_OF_STRINGS,
            "vendor_attributes": {"type": "object"},
        },
    },
    "HarborVulnerabilityReport": {
        "type": "object",
        "properties": {
            "generated_at": {"type": "string", "format": "date-time"},
            "artifact": {"$ref": "#/$defs/Artifact"},
            "scanner": {"$ref": "#/$defs/Scanner"},
            "severity": _SEVERITY,
            "vulnerabilities": {"type": "array", "items": {"$ref": "#/$defs/VulnerabilityItem"}},
        },
    },
    "HarborSbomReport": {
        "type": "object",
        "properties": {
            "generated_at": {"type": "string", "format": "date-time"},
            "artifact": {"$ref": "#/$defs/Artifact"},
            "scanner": {"$ref": "#/$defs/Scanner"},
            "vendor_attributes": {"type": "object"},
            "media_type": {
                "type": "string",
                "enum": ["application/spdx+json", "application/vnd.cyclonedx+json"],
            },
            "sbom": {"type": "object"},
        },
    },
    "ErrorResponse": {
        "type": "object",
        "properties": {
            "error": {"type": "object", "properties": {"message": {"type": "string"}}},
        },
    },
}


def validate(doc: object, name: str) -> None:
    """Raise jsonschema.ValidationError unless `doc` is a valid `name` document.
    The strictness our tests add: every ErrorResponse has its message."""
    schema = {"$defs": DEFS, "$ref": f"#/$defs/{name}"}
    checker = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    checker.validate(doc)
    if name == "ErrorResponse":
        assert isinstance(doc, dict) and doc["error"]["message"]
