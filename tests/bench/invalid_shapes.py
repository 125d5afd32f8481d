"""Invalid shapes of a model, generated from its pydantic JSON schema (pure).

One source of truth for "what the models reject": `invalid_cases(Model, full)` walks
the model's schema alongside `full` (a valid document that sets every field) and
yields one document per constraint broken — a wrong type, an empty or too long
string, a number out of range, a value outside an enum, a bad date, a list too
long, a required field missing. A unit test checks pydantic rejects every case;
the envtest tier checks the real API server rejects each one too (the CRD is
generated from the same models).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Case:
    path: str  # e.g. spec.platforms[0].variant
    broken: str  # which constraint: "minLength 1", "type string", ...
    document: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.path}:{self.broken}"


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """$ref and Optional[...] (anyOf with null) resolved to the concrete schema."""
    if "$ref" in node:
        return _resolve(defs[node["$ref"].split("/")[-1]], defs)
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if o.get("type") != "null"]
        if len(options) == 1:
            return {**_resolve(options[0], defs), "nullable": True}
    return node


def _breakers(schema: dict[str, Any], valid: Any) -> Iterator[tuple[str, Any]]:
    """(which constraint, a value breaking it) for one field's schema."""
    kind = schema.get("type")
    if "enum" in schema or "const" in schema:
        yield "enum", "NOT-" + str((schema.get("enum") or [schema.get("const")])[0])
    if kind == "string":
        yield "type string", 7
        if schema.get("minLength"):
            yield f"minLength {schema['minLength']}", "a" * (schema["minLength"] - 1)
        if "maxLength" in schema:
            yield f"maxLength {schema['maxLength']}", "a" * (schema["maxLength"] + 1)
        if schema.get("format") == "date":
            yield "format date", "not-a-date"
    elif kind == "integer":
        yield "type integer", "many"
        yield "integer, not fraction", 1.5
        if "minimum" in schema:
            yield f"minimum {schema['minimum']}", schema["minimum"] - 1
        if "maximum" in schema:
            yield f"maximum {schema['maximum']}", schema["maximum"] + 1
    elif kind == "boolean":
        yield "type boolean", "maybe"
    elif kind == "array":
        yield "type array", "x"
        if "maxItems" in schema:
            yield f"maxItems {schema['maxItems']}", [valid[0]] * (schema["maxItems"] + 1)
    elif kind == "object":
        yield "type object", "x"


def _set(document: dict[str, Any], path: Path, value: Any, remove: bool = False) -> dict[str, Any]:
    out = copy.deepcopy(document)
    node: Any = out
    for key in path[:-1]:
        node = node[key]
    if remove:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


def _name(path: Path) -> str:
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else key)
    return text


def _walk(
    schema: dict[str, Any], defs: dict[str, Any], value: Any, path: Path
) -> Iterator[tuple[Path, str, Any, bool]]:
    schema = _resolve(schema, defs)
    if path:
        for broken, bad in _breakers(schema, value):
            yield path, broken, bad, False
    if schema.get("type") == "object" or "properties" in schema:
        for prop in schema.get("required") or []:
            yield (*path, prop), "required", None, True
            yield (*path, prop), "required, not null", None, False
        for prop, child in (schema.get("properties") or {}).items():
            if not isinstance(value, dict) or prop not in value:
                raise ValueError(f"the full document does not set {_name((*path, prop))}")
            yield from _walk(child, defs, value[prop], (*path, prop))
    elif schema.get("type") == "array":
        if not value:
            raise ValueError(f"the full document has no item in {_name(path)}")
        yield from _walk(schema["items"], defs, value[0], (*path, 0))


def invalid_cases(model: type[Any], full: dict[str, Any], under: str = "") -> list[Case]:
    """Every invalid variant of `full` (valid for `model`), each breaking one constraint.

    `under` nests the documents (e.g. "spec"), so a case can be sent as an object's field.
    """
    raw = model.model_json_schema(by_alias=True)
    defs = raw.pop("$defs", {})
    cases = []
    for path, broken, bad, remove in _walk(raw, defs, full, ()):
        document = _set(full, path, bad, remove)
        name = _name(path)
        if under:
            document, name = {under: document}, f"{under}.{name}"
        cases.append(Case(name, broken, document))
    return cases
