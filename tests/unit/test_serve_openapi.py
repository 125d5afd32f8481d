"""The OpenAPI document `regscan serve` publishes: a valid OpenAPI 3.0 document (the OAI
meta-schema, as schemathesis checks it), routed exactly as documented, with the media
types of `regscan.common.harbor_api`, and component schemas that agree with the second,
independent transcription of the official v1.2 schemas in tests/harbor_api/schemas.py."""

from __future__ import annotations

from typing import Any, cast

import pytest
import schemathesis
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.routing import Route

from regscan.common import harbor_api
from regscan.serve import mime, openapi
from regscan.serve.app import create_app
from regscan.serve.worker import ScanQueue
from tests.harbor_api.schemas import DEFS

DOC = openapi.document(CONTENT_TYPE_LATEST)
SCHEMAS = DOC["components"]["schemas"]
COMPARED = ("type", "enum", "required", "format")


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = defs[schema["$ref"].rpartition("/")[2]]
    return schema


def differences(official: dict[str, Any], published: dict[str, Any], where: str = "") -> list[str]:
    """Where `published` (this server's document) disagrees with `official` (the test
    transcription): every official property present with the same type, enum and format;
    required lists equal; array items and additionalProperties alike, recursively."""
    official, published = _resolve(official, DEFS), _resolve(published, SCHEMAS)
    found = [
        f"{where or '/'}: {key} {official.get(key)!r} != {published.get(key)!r}"
        for key in COMPARED
        if key in official and official[key] != published.get(key)
    ]
    if "required" not in official and published.get("required"):
        found.append(f"{where or '/'}: required {published['required']!r} not in the spec")
    theirs, ours = official.get("properties", {}), published.get("properties", {})
    if set(theirs) != set(ours):
        found.append(f"{where or '/'}: properties {sorted(theirs)} != {sorted(ours)}")
    for name in set(theirs) & set(ours):
        found += differences(theirs[name], ours[name], f"{where}/{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(official.get(key), dict):
            found += differences(official[key], published.get(key) or {}, f"{where}/{key}")
    return found


@pytest.mark.parametrize("name", sorted(DEFS))
def test_components_agree_with_the_official_transcription(name: str) -> None:
    assert name in SCHEMAS
    assert differences(DEFS[name], SCHEMAS[name], name) == []


def test_the_comparison_sees_a_wrong_transcription() -> None:
    """The comparison is not vacuous: each kind of slip is reported."""
    wrong_enum = {"type": "string", "enum": ["Low", "High"]}
    item = {
        **SCHEMAS["VulnerabilityItem"],
        "properties": dict(SCHEMAS["VulnerabilityItem"]["properties"]),
    }
    item["properties"]["severity"] = wrong_enum
    item["properties"]["fixed_version"] = item["properties"].pop("fix_version")
    found = differences(DEFS["VulnerabilityItem"], item)
    assert any("enum" in f for f in found) and any("fix_version" in f for f in found)
    metadata = {**SCHEMAS["ScannerAdapterMetadata"], "required": ["scanner"]}
    assert differences(DEFS["ScannerAdapterMetadata"], metadata)
    number = {"type": "object", "properties": {"score_v3": {"type": "string"}}}
    assert differences({"type": "object", "properties": {"score_v3": {"type": "number"}}}, number)


def test_a_valid_openapi_30_document() -> None:
    schemathesis.openapi.from_dict(openapi.document(CONTENT_TYPE_LATEST)).validate()
    assert DOC["openapi"].startswith("3.0.")


def test_routed_exactly_as_documented() -> None:
    app = create_app(cast(ScanQueue, object()), token="t")
    routed = {
        (r.path, m.lower()) for r in app.routes if isinstance(r, Route) for m in r.methods or ()
    }
    documented = {(path, method) for path, ops in DOC["paths"].items() for method in ops}
    assert routed - {(p, "head") for p, _ in routed} == documented


def _media_types(response: dict[str, Any]) -> set[str]:
    return set(response.get("content", {}))


def test_media_types_are_the_servers() -> None:
    paths = DOC["paths"]
    report = paths[harbor_api.API_PREFIX + "/scan/{scan_request_id}/report"]["get"]
    scan = paths[harbor_api.API_PREFIX + "/scan"]["post"]
    metadata = paths[harbor_api.API_PREFIX + "/metadata"]["get"]
    assert _media_types(report["responses"]["200"]) == {*mime.VULN_PRODUCES, *mime.SBOM_PRODUCES}
    assert _media_types(metadata["responses"]["200"]) == {harbor_api.METADATA}
    assert _media_types(scan["responses"]["202"]) == {harbor_api.SCAN_RESPONSE}
    assert {m.partition(";")[0] for m in scan["requestBody"]["content"]} == {
        harbor_api.SCAN_REQUEST
    }
    for op in (report, scan, metadata):
        for status, response in op["responses"].items():
            if int(status) >= 400:
                assert _media_types(response) == {harbor_api.ERROR}, status
    sbom_query = next(p for p in report["parameters"] if p["name"] == "sbom_media_type")
    assert sbom_query["schema"]["enum"] == list(mime.SBOM_MEDIA_TYPES)
    assert report["responses"]["302"]["headers"]["Refresh-After"]["schema"] == {"type": "integer"}


def test_security() -> None:
    schemes = DOC["components"]["securitySchemes"]
    assert schemes["ApiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-ScannerAdapter-API-Key",
    }
    assert {schemes["BearerAuth"]["scheme"], schemes["BasicAuth"]["scheme"]} == {"bearer", "basic"}
    open_paths = {
        p for p, ops in DOC["paths"].items() for op in ops.values() if op.get("security") == []
    }
    assert open_paths == set(openapi.OPEN_PATHS)
