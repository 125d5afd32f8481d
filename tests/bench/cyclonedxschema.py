"""The CycloneDX JSON schemas (as shipped by the `cyclonedx-python-lib` test dependency) and
a validator for the CycloneDX SBOMs `regscan serve` renders (pure: reads package files)."""

from __future__ import annotations

import json
from typing import Any

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator


class InvalidCycloneDX(AssertionError):
    pass


def validate_cyclonedx(doc: dict[str, Any]) -> None:
    """Raise InvalidCycloneDX unless `doc` is valid for the strict schema of its specVersion."""
    if doc.get("bomFormat") != "CycloneDX":
        raise InvalidCycloneDX(f"bomFormat is {doc.get('bomFormat')!r}, not 'CycloneDX'")
    version = SchemaVersion.from_version(str(doc.get("specVersion")))
    error = JsonStrictValidator(version).validate_str(json.dumps(doc))
    if error is not None:
        raise InvalidCycloneDX(f"{error.data.json_path}: {error.data.message}")
