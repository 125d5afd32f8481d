"""`regscan filter-tags`: a dry run of tag filters, without a registry (does I/O: files, stdio).

Tags come from the arguments, or one per line on stdin when none are given. Prints
`{"kept": [...], "dropped": [...], "errors": {"TAG": "message"}}` in input order and
exits 0; an invalid expression (or option) exits 2 before any tag is evaluated.
With `--registry-file registry.yaml --repository NAME` the conditions and operator
come from the Registry's `spec.repositories` entry matching NAME (the first, as
listed), so what is tried is exactly what will be applied.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from job_images.discovery.celfilter import (
    MatchCondition,
    TagFilter,
    parse_cli_conditions,
)
from job_images.discovery.names import matches, validate_pattern
from regscan.cli.discover import add_tag_filter_options
from regscan.cli.exits import OK
from regscan.common.errors import InvalidInput
from regscan.common.registry import RegistrySpec


@dataclass(frozen=True)
class FilterTagsOptions:
    tag_filter: TagFilter
    repository: str
    tags: list[str] | None  # None: read stdin


def add_options(p: argparse.ArgumentParser) -> None:
    add_tag_filter_options(p)
    p.add_argument(
        "--repository",
        default="",
        metavar="NAME",
        help="the value of `repository` in the expressions; with --registry-file, also which "
        "spec.repositories entry's conditions to use (default: empty)",
    )
    p.add_argument(
        "--registry-file",
        type=Path,
        default=None,
        metavar="YAML",
        help="take the conditions and operator from this Registry manifest's "
        "spec.repositories entry matching --repository (instead of --tag-filter)",
    )
    p.add_argument(
        "tags",
        nargs="*",
        metavar="TAG",
        help="tags to try (after `--`); none: one per line on stdin",
    )


def _from_registry_file(path: Path, repository: str) -> TagFilter:
    field = "--registry-file"
    try:
        docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    except OSError as exc:
        raise InvalidInput(field, f"cannot read {path}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise InvalidInput(field, f"{path} is not YAML: {' '.join(str(exc).split())}") from exc
    manifests = [d for d in docs if isinstance(d, dict) and d.get("kind") == "Registry"]
    if not manifests:
        raise InvalidInput(field, f"{path} holds no `kind: Registry` manifest")
    try:
        spec = RegistrySpec.model_validate(manifests[0].get("spec") or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise InvalidInput(field, f"{path}: spec.{where}: {first['msg']}") from exc
    if not repository:
        raise InvalidInput("--repository", "give the repository NAME whose conditions to try")
    for i, entry in enumerate(spec.repositories):
        if matches(validate_pattern(entry.name), repository):
            conditions = [MatchCondition(c.name, c.expression) for c in entry.matchConditions]
            return TagFilter(
                conditions,
                entry.matchOperator,
                field=f"spec.repositories[{i}].matchConditions",
            )
    names = ", ".join(e.name for e in spec.repositories) or "none"
    raise InvalidInput(
        "--repository",
        f"{repository!r} matches no spec.repositories entry of {path} (entries: {names})",
    )


def options_from_args(args: argparse.Namespace) -> FilterTagsOptions:
    """Every check, before any tag is read."""
    if args.registry_file is not None:
        if args.tag_filter:
            raise InvalidInput("--tag-filter", "give either --tag-filter or --registry-file")
        tag_filter = _from_registry_file(args.registry_file, args.repository)
    else:
        tag_filter = TagFilter(parse_cli_conditions(args.tag_filter), args.match_operator)
    return FilterTagsOptions(tag_filter, args.repository, list(args.tags) or None)


def filter_tags(tag_filter: TagFilter, repository: str, tags: list[str]) -> dict[str, Any]:
    """The dry run's answer (pure): kept, dropped and per-tag errors, in input order."""
    kept: list[str] = []
    dropped: list[str] = []
    errors: dict[str, str] = {}
    for tag in tags:
        verdict = tag_filter.evaluate(repository, tag)
        (kept if verdict.matched else dropped).append(tag)
        if verdict.errors:
            errors[tag] = "; ".join(f"{e.condition}: {e.message}" for e in verdict.errors)
    return {"kept": kept, "dropped": dropped, "errors": errors}


def run_filter_tags(args: argparse.Namespace) -> int:
    opts = options_from_args(args)
    tags = opts.tags
    if tags is None:
        tags = [line.strip() for line in sys.stdin if line.strip()]
    result = filter_tags(opts.tag_filter, opts.repository, tags)
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return OK
