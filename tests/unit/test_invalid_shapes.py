"""The generated invalid Registry shapes are invalid for the models, and cover them (pure).

The envtest tier sends the same cases to a real API server; this checks the
generator itself: the full documents are valid, every case is refused by pydantic,
and every constraint kind of the models has cases.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel, ValidationError

from controller.api.crd import build_crd
from regscan.common.registry import RegistrySpec, RegistryStatus
from tests.bench.invalid_shapes import invalid_cases
from tests.bench.registry_docs import FULL_SPEC, FULL_STATUS

MODELS: list[tuple[type[BaseModel], dict[str, object]]] = [
    (RegistrySpec, FULL_SPEC),
    (RegistryStatus, FULL_STATUS),
]


@pytest.mark.parametrize(("model", "full"), MODELS)
def test_the_full_document_is_valid_and_every_case_is_refused(
    model: type[BaseModel], full: dict[str, object]
) -> None:
    model.model_validate(full)
    accepted = []
    for case in invalid_cases(model, full):
        try:
            model.model_validate(case.document)
        except ValidationError:
            continue
        accepted.append(case.id)
    assert accepted == []


def test_spec_cases_cover_each_kind_of_constraint() -> None:
    ids = {case.id for case in invalid_cases(RegistrySpec, FULL_SPEC)}
    expected = {
        "url:required",
        "url:minLength 1",
        "url:maxLength 512",
        "platforms[0].variant:minLength 1",
        "caBundle:minLength 1",
        "authSecret:minLength 1",
        "scanner.dbRepository:minLength 1",
        "scanner.url:maxLength 512",
        "scanner.authScheme:enum",
        "scan.batchSize:minimum 1",
        "scan.batchSize:maximum 1000",
        "scan.batchSize:integer, not fraction",
        "policy.failOn:enum",
        "policy.allowlist[0].expires:format date",
        "policy.allowlist:maxItems 1000",
        "repositories[0].matchConditions[0].expression:required",
        "insecure:type boolean",
        "scan:type object",
    }
    assert expected <= ids, expected - ids


def test_a_full_document_missing_a_field_is_refused_by_the_generator() -> None:
    partial = {k: v for k, v in FULL_SPEC.items() if k != "platforms"}
    with pytest.raises(ValueError, match="does not set platforms"):
        invalid_cases(RegistrySpec, partial)


def test_cases_can_be_nested_under_a_field() -> None:
    (case, *_) = invalid_cases(RegistrySpec, FULL_SPEC, under="spec")
    assert case.path.startswith("spec.") and set(case.document) == {"spec"}


def _json_schema(node: Any) -> Any:
    """The CRD's OpenAPI v3 schema as JSON Schema: `nullable` becomes a null type."""
    if isinstance(node, list):
        return [_json_schema(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _json_schema(v) for k, v in node.items() if k not in ("nullable", "default")}
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


@pytest.mark.parametrize("part", ["spec", "status"])
def test_the_generated_crd_schema_refuses_every_case(part: str) -> None:
    """Without an API server (CI): the CRD's schema, read as JSON Schema, refuses each case.

    The envtest tier sends the same cases to a real kube-apiserver.
    """
    version = build_crd()["spec"]["versions"][0]
    schema = _json_schema(version["schema"]["openAPIV3Schema"]["properties"][part])
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    model, full = MODELS[0] if part == "spec" else MODELS[1]
    assert not list(validator.iter_errors(full))
    accepted = [c.id for c in invalid_cases(model, full) if validator.is_valid(c.document)]
    assert accepted == []
