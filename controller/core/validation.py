"""Validate a Registry spec with the same code the Jobs use (pure).

The selection (URL, repositories, CEL, platforms) is checked by the discovery code's own
builder (`job_images.discovery.selection`), the policy by the scan code's parser, the
schedule by croniter. The first problem is an InvalidInput naming the spec field.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from controller.core.schedule import normalize
from job_images.discovery import selection
from job_images.scanning.policy import parse_allow_entry
from regscan.common.dbref import db_refs
from regscan.common.errors import InvalidInput
from regscan.common.registry import RegistrySpec, ScannerSpec


def parse_spec(raw: str | dict[str, Any], whole: str = "spec") -> RegistrySpec:
    """A Registry spec from JSON text or a dict, fully validated; InvalidInput names the
    field (`spec.<path>`), or `whole` when the error is about the object as a whole.
    """
    try:
        if isinstance(raw, str):
            spec = RegistrySpec.model_validate_json(raw)
        else:
            spec = RegistrySpec.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise InvalidInput(f"spec.{where}" if where else whole, err["msg"]) from exc
    problem = validate_spec(spec)
    if problem is not None:
        raise problem
    return spec


def validate_spec(spec: RegistrySpec) -> InvalidInput | None:
    try:
        _validate(spec)
    except InvalidInput as exc:
        return exc
    return None


def _validate(spec: RegistrySpec) -> None:
    selection.discovery_spec(
        spec.url, spec.insecure, spec.repositories, spec.platforms, spec.maxTags
    )
    normalize(spec.schedule)
    for i, entry in enumerate(spec.policy.allowlist):
        if not entry.id.strip():
            raise InvalidInput(f"spec.policy.allowlist[{i}].id", "is empty")
        parse_allow_entry(entry.id)
    if spec.caBundle is not None and "BEGIN CERTIFICATE" not in spec.caBundle:
        raise InvalidInput("spec.caBundle", "is not a PEM certificate bundle")
    _validate_scanner(spec.scanner)


def _validate_scanner(scanner: ScannerSpec) -> None:
    """Each scanner's own fields, and none of the other's."""
    if scanner.name == "harbor":
        if scanner.url is None:
            raise InvalidInput("spec.scanner.url", "is required with name harbor")
        parsed = urlsplit(scanner.url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise InvalidInput(
                "spec.scanner.url", f"{scanner.url!r} is not an http(s) URL with a host"
            )
        if scanner.dbRepository is not None:
            raise InvalidInput(
                "spec.scanner.dbRepository", "is Trivy's; a harbor scanner keeps its own DB"
            )
        return
    for name in ("url", "authSecret"):
        if getattr(scanner, name) is not None:
            raise InvalidInput(f"spec.scanner.{name}", "is only for name harbor")
    if scanner.dbRepository is not None:
        try:
            db_refs(scanner.dbRepository)
        except InvalidInput as exc:
            raise InvalidInput("spec.scanner.dbRepository", str(exc).split(": ", 1)[1]) from exc
