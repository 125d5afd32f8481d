"""The CRD YAML is generated from the pydantic models and is structural (pure)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from controller.api.crd import build_crd, render

ROOT = Path(__file__).resolve().parents[2]


def test_crd_file_is_generated_from_models() -> None:
    assert (ROOT / "manifests" / "crd.yaml").read_text() == render()


def test_crd_is_structural() -> None:
    crd = build_crd()
    version = crd["spec"]["versions"][0]
    assert version["subresources"] == {"status": {}}
    assert [c["name"] for c in version["additionalPrinterColumns"]] == [
        "URL",
        "Images",
        "Critical",
        "High",
        "Failing",
        "Last Scan",
        "Ready",
    ]
    text = yaml.safe_dump(crd)
    assert "$ref" not in text and "anyOf" not in text and "title:" not in text

    def walk(node: dict[str, Any], path: str) -> None:
        assert "type" in node, path
        for key, child in (node.get("properties") or {}).items():
            walk(child, f"{path}.{key}")
        if "items" in node:
            walk(node["items"], f"{path}[]")

    walk(version["schema"]["openAPIV3Schema"], "")
    spec_schema = version["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert spec_schema["properties"]["scan"]["properties"]["batchSize"]["default"] == 25
    assert spec_schema["properties"]["policy"]["properties"]["failOn"]["enum"][0] == "CRITICAL"
    assert "x-kubernetes-validations" in spec_schema["properties"]["platforms"]["items"]
