"""Generate the Registry CRD from the pydantic models (pure).

`python -m controller.api.crd > manifests/crd.yaml`; a unit test fails when the
file and the models drift. The schema is structural: no $ref/anyOf, every
field typed, defaults and enums from the models, CEL rules where they fit.
"""

from __future__ import annotations

import copy
import sys
from typing import Any

import yaml

from controller.api import labels
from regscan.common.registry import RegistrySpec, RegistryStatus

RULES: dict[str, list[dict[str, str]]] = {
    "RegistrySpec": [
        {
            "rule": "self.url.startsWith('http://') || self.url.startsWith('https://')",
            "message": "url must start with http:// or https://",
        },
    ],
    "PlatformSpec": [
        {
            "rule": "!has(self.variant) || self.arch in ['arm', 'arm64', 'amd64', 'riscv64']",
            "message": "variant is only valid with arch arm, arm64, amd64 or riscv64",
        },
    ],
}
PRINTER_COLUMNS = [
    {"name": "URL", "type": "string", "jsonPath": ".spec.url"},
    {"name": "Images", "type": "integer", "jsonPath": ".status.lastScan.images"},
    {"name": "Critical", "type": "integer", "jsonPath": ".status.vulnerabilities.critical"},
    {"name": "High", "type": "integer", "jsonPath": ".status.vulnerabilities.high"},
    {"name": "Failing", "type": "integer", "jsonPath": ".status.policy.failing"},
    {"name": "Last Scan", "type": "date", "jsonPath": ".status.lastScan.completionTime"},
    {
        "name": "Ready",
        "type": "string",
        "jsonPath": '.status.conditions[?(@.type=="Ready")].status',
    },
]


def _structural(node: Any, defs: dict[str, Any], name: str = "") -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            ref = node["$ref"].split("/")[-1]
            out = _structural(copy.deepcopy(defs[ref]), defs, ref)
            out.update({k: _structural(v, defs) for k, v in node.items() if k != "$ref"})
            return out
        if "anyOf" in node:
            options = [o for o in node["anyOf"] if o.get("type") != "null"]
            out = _structural(options[0], defs) if len(options) == 1 else {"type": "object"}
            out["nullable"] = True
            for k, v in node.items():
                if k == "title":
                    continue
                if k not in ("anyOf", "default") or (k == "default" and v is not None):
                    out[k] = _structural(v, defs)
            out.pop("anyOf", None)
            return out
        out = {}
        for k, v in node.items():
            if k in ("title", "$defs"):
                continue
            if k == "properties":
                out[k] = {p: _structural(s, defs) for p, s in v.items()}
            else:
                out[k] = _structural(v, defs)
        if "const" in out:
            out["enum"] = [out.pop("const")]
        if out.get("format") == "date":
            out["type"] = "string"
        if name in RULES:
            out["x-kubernetes-validations"] = RULES[name]
        if out.get("type") == "object" and "properties" in out:
            out.pop("additionalProperties", None)
        if out.get("default") is None:
            out.pop("default", None)
        if isinstance(out.get("default"), dict) and not out["default"]:
            out["default"] = {}
        return out
    if isinstance(node, list):
        return [_structural(x, defs) for x in node]
    return node


def schema_of(model: type[Any]) -> dict[str, Any]:
    raw = model.model_json_schema(by_alias=True)
    defs = raw.pop("$defs", {})
    return dict(_structural(raw, defs, model.__name__))


def build_crd() -> dict[str, Any]:
    spec = schema_of(RegistrySpec)
    for obj in ("scan", "scanner", "policy"):  # so nested defaults apply when omitted
        spec["properties"][obj]["default"] = {}
    status = schema_of(RegistryStatus)
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{labels.PLURAL}.{labels.GROUP}"},
        "spec": {
            "group": labels.GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": labels.KIND,
                "plural": labels.PLURAL,
                "singular": labels.SINGULAR,
                "shortNames": labels.SHORT_NAMES,
                "listKind": f"{labels.KIND}List",
            },
            "versions": [
                {
                    "name": labels.VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": PRINTER_COLUMNS,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "description": "A registry that regscan inventories and scans.",
                            "required": ["spec"],
                            "properties": {
                                "apiVersion": {"type": "string"},
                                "kind": {"type": "string"},
                                "metadata": {"type": "object"},
                                "spec": spec,
                                "status": status,
                            },
                        }
                    },
                }
            ],
        },
    }


def render() -> str:
    header = "# Generated by `python -m controller.api.crd` from regscan/common/registry.py.\n"
    return header + yaml.safe_dump(build_crd(), sort_keys=False, width=100)


if __name__ == "__main__":
    sys.stdout.write(render())
