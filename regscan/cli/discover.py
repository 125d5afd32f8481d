"""`regscan discover` and the discovery options `scan` shares (does I/O: files, requests).

Turns argparse values into a DiscoverySpec; every invalid value raises
InvalidInput naming the option, before any request is made.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from job_images.credentials import Credentials
from job_images.discovery.celfilter import TagFilter, parse_cli_conditions
from job_images.discovery.names import validate_pattern
from job_images.discovery.options import ClientOptions
from job_images.discovery.platforms import parse_platform
from job_images.discovery.run import discover
from job_images.discovery.spec import DiscoverySpec, RepositorySelector
from job_images.discovery.urls import normalize_registry_url
from job_images.docker_config import load_docker_config
from regscan.cli.exits import PARTIAL
from regscan.cli.progress import open_display
from regscan.common.discovery import DiscoveryResult, ManifestEntry
from regscan.common.errors import InvalidInput, StoreError


def add_tag_filter_options(p: argparse.ArgumentParser) -> None:
    """`--tag-filter` and `--match-operator` (discover, scan, filter-tags)."""
    p.add_argument(
        "--tag-filter",
        action="append",
        default=[],
        metavar="CEL",
        help="CEL expression over `tag` and `repository` (repeatable); default: every tag",
    )
    p.add_argument(
        "--match-operator",
        default="and",
        choices=["and", "or", "And", "Or"],
        help="how several --tag-filter expressions combine",
    )


def add_discovery_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--registry",
        required=True,
        help="registry URL, e.g. https://harbor.example.com (no scheme = https)",
    )
    p.add_argument(
        "--repository",
        action="append",
        default=[],
        metavar="NAME_OR_GLOB",
        help="repository name or glob (team-a/*); default: the whole catalog",
    )
    p.add_argument(
        "--platform",
        action="append",
        default=[],
        metavar="OS/ARCH[/VARIANT][:OSVERSION]",
        help="keep only these platforms (repeatable); default: every platform",
    )
    add_tag_filter_options(p)
    p.add_argument(
        "--strict-filters",
        action="store_true",
        help="fail the run (exit 1) when a --tag-filter cannot be evaluated on a tag; "
        "default: such a tag counts as no match and stats.filterErrors counts it",
    )
    p.add_argument(
        "--max-tags",
        type=int,
        default=None,
        metavar="N",
        help="keep the N newest matching tags per repository (>= 1); default: all",
    )
    p.add_argument(
        "--docker-config",
        type=Path,
        metavar="DIR",
        help="directory with config.json (or a .dockerconfigjson file)",
    )
    p.add_argument("--username", help="registry user; the password comes from --password-stdin")
    p.add_argument(
        "--password-stdin", action="store_true", help="read the registry password from stdin"
    )
    p.add_argument("--ca-file", metavar="PEM", help="extra CA bundle, besides the system CAs")
    p.add_argument(
        "--insecure",
        action="store_true",
        help="skip TLS verification (plain HTTP needs an explicit http:// URL)",
    )
    p.add_argument(
        "--concurrency", type=int, default=8, help="max concurrent registry requests (1-256)"
    )
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per request (> 0)")
    p.add_argument(
        "--retries",
        type=int,
        default=4,
        help="extra attempts after a connection error, 5xx or 429 (>= 0)",
    )
    p.add_argument(
        "--previous",
        type=Path,
        metavar="FILE",
        help="a previous discovery JSON: its digests need no manifest GET",
    )


def spec_from_args(args: argparse.Namespace) -> DiscoverySpec:
    if args.concurrency < 1 or args.concurrency > 256:
        raise InvalidInput("concurrency", "must be between 1 and 256")
    if args.max_tags is not None and args.max_tags < 1:
        raise InvalidInput("max-tags", f"must be >= 1, got {args.max_tags}")
    if not args.timeout > 0 or args.timeout > 3600:
        raise InvalidInput("timeout", f"must be > 0 and <= 3600 seconds, got {args.timeout:g}")
    if args.retries < 0 or args.retries > 100:
        raise InvalidInput("retries", f"must be between 0 and 100, got {args.retries}")
    if args.ca_file and not Path(args.ca_file).is_file():
        raise InvalidInput("ca-file", f"{args.ca_file} is not a file")
    _, host = normalize_registry_url(args.registry, args.insecure)
    platforms = [parse_platform(p, field="platform") for p in args.platform]
    tag_filter = None
    if args.tag_filter:
        tag_filter = TagFilter(parse_cli_conditions(args.tag_filter), args.match_operator)
    patterns = [validate_pattern(r) for r in args.repository]
    strict = args.strict_filters
    selectors = [RepositorySelector(p, tag_filter, args.max_tags, strict) for p in patterns]
    if not selectors and (tag_filter is not None or args.max_tags is not None):
        selectors = [RepositorySelector("**", tag_filter, args.max_tags, strict)]
    creds = _credentials(args, host)
    options = ClientOptions(
        timeout=args.timeout,
        retries=args.retries,
        concurrency=args.concurrency,
        ca_file=args.ca_file,
        insecure=args.insecure,
    )
    return DiscoverySpec(args.registry, selectors, platforms, creds, options)


def _credentials(args: argparse.Namespace, host: str) -> Credentials | None:
    if args.password_stdin:
        if not args.username:
            raise InvalidInput("password-stdin", "needs --username")
        password = sys.stdin.readline().rstrip("\r\n")
        return Credentials(args.username, password)
    if args.username:
        raise InvalidInput("username", "give the password with --password-stdin")
    if args.docker_config:
        return load_docker_config(args.docker_config, host)
    return None


def load_previous(path: Path | None) -> dict[str, ManifestEntry]:
    """The manifest cache of an earlier `regscan discover` output; InvalidInput otherwise."""
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise InvalidInput("previous", f"{path} does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput("previous", f"cannot read {path}: {exc}") from exc
    except ValueError as exc:
        raise InvalidInput("previous", f"{path} is not JSON ({exc})") from exc
    if not isinstance(data, dict) or "manifests" not in data or "images" not in data:
        raise InvalidInput(
            "previous", f"{path} is not a `regscan discover` output (no images and manifests)"
        )
    try:
        return DiscoveryResult.model_validate(data).manifests
    except ValueError as exc:
        first = str(exc).splitlines()[1:2] or [""]
        raise InvalidInput(
            "previous", f"{path} is not a valid discovery result ({first[0].strip()})"
        ) from exc


def check_output_file(output: str) -> None:
    """The folder of `-o FILE` exists and is writable (checked before any request)."""
    if output == "-":
        return
    target = Path(output)
    folder = target.parent
    if target.is_dir():
        raise InvalidInput("output", f"{output} is a directory; give a file name")
    if not folder.is_dir():
        raise InvalidInput("output", f"folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (
        target.exists() and not os.access(target, os.W_OK)
    ):
        raise InvalidInput("output", f"{output} is not writable")


def add_options(p: argparse.ArgumentParser) -> None:
    add_discovery_options(p)
    p.add_argument(
        "--output", "-o", default="-", metavar="FILE|-", help="where to write the JSON; - = stdout"
    )


def run_discover(args: argparse.Namespace) -> int:
    spec = spec_from_args(args)  # all validation before any request
    previous = load_previous(args.previous)
    output = args.output
    check_output_file(output)
    with open_display(getattr(args, "display", "quiet")) as display:
        result = discover(spec, previous=previous, progress=display)
    text = result.to_json()
    if output == "-":
        sys.stdout.write(text + "\n")
    else:
        try:
            Path(output).write_text(text + "\n")
        except OSError as exc:
            raise StoreError(f"cannot write {output}: {exc}") from exc
    for failed in result.stats.filter_errors:
        logging.getLogger("regscan.discover").warning(
            "tag filter %s (%s) failed on %d tags, counted as no match (e.g. %s); "
            "--strict-filters makes this fatal",
            failed.condition,
            failed.repository,
            failed.tags,
            failed.example,
        )
    for err in result.errors:
        where = err.repository + (f":{err.tag}" if err.tag else "")
        logging.getLogger("regscan.discover").warning("%s: %s", where, err.message)
    if result.errors:
        logging.getLogger("regscan.discover").warning(
            "partial: %d repositories/tags failed; %d images found",
            len(result.errors),
            len(result.images),
        )
        return PARTIAL
    return 0
