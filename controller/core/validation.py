"""Validate a Registry spec with the same code the Jobs use (pure).

Returns the first problem as InvalidInput naming the spec field, or None.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from controller.core.schedule import normalize
from job_images.discovery.celfilter import MatchCondition, TagFilter
from job_images.discovery.names import validate_pattern
from job_images.discovery.platforms import validate_platform
from job_images.discovery.urls import normalize_registry_url
from job_images.scanning.policy import parse_allow_entry
from regscan.common.errors import InvalidInput
from regscan.common.registry import RegistrySpec


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
    try:
        normalize_registry_url(spec.url, spec.insecure)
    except InvalidInput as exc:
        raise InvalidInput("spec.url", exc.reason) from exc
    normalize(spec.schedule)
    for i, repo in enumerate(spec.repositories):
        field = f"spec.repositories[{i}]"
        try:
            validate_pattern(repo.name)
        except InvalidInput as exc:
            raise InvalidInput(f"{field}.name", exc.reason) from exc
        conditions = [MatchCondition(c.name, c.expression) for c in repo.matchConditions]
        names = [c.name for c in conditions]
        if len(set(names)) != len(names):
            raise InvalidInput(f"{field}.matchConditions", "condition names must be unique")
        TagFilter(conditions, repo.matchOperator, field=f"{field}.matchConditions")
    for i, p in enumerate(spec.platforms):
        validate_platform(p.os, p.arch, p.variant or "", field=f"spec.platforms[{i}]")
    for i, entry in enumerate(spec.policy.allowlist):
        if not entry.id.strip():
            raise InvalidInput(f"spec.policy.allowlist[{i}].id", "is empty")
        parse_allow_entry(entry.id)
    if spec.caBundle is not None and "BEGIN CERTIFICATE" not in spec.caBundle:
        raise InvalidInput("spec.caBundle", "is not a PEM certificate bundle")
