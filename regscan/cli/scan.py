"""`regscan scan`: discovery, adapter, pipeline and store composed (does I/O; the
decisions live in the modules it calls). Its flags become a typed `ScanCommand` once, at
the top; `make_policy` and `scanner_options` also serve `regscan job scan`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import logging
import os
import secrets
import sys
from dataclasses import dataclass
from typing import Any

from job_images.discovery.run import DiscoverySpec, discover
from job_images.discovery.urls import normalize_registry_url
from job_images.scanning.adapters import open_adapter
from job_images.scanning.adapters.base import ScannerAdapter
from job_images.scanning.lifecycle import update_inventory
from job_images.scanning.pipeline import ScanOptions, scan_images
from job_images.scanning.policy import Policy, parse_allow_entry, parse_severity
from job_images.scanning.scanner import ImageRef, ScannerOptions
from job_images.scanning.table import render_table
from job_images.store.protocol import ObjectStore
from regscan.cli.discover import load_previous, spec_from_args
from regscan.cli.exits import OPERATIONAL, PARTIAL, POLICY_FAILED
from regscan.cli.progress import Display, open_display
from regscan.cli.store_options import StoreOptions
from regscan.common import layout
from regscan.common.discovery import DiscoveryResult, ManifestEntry
from regscan.common.errors import InvalidInput
from regscan.common.progress import Notify, no_progress
from regscan.common.reports import Inventory, RunIndex, mark_partial
from regscan.common.timeutil import utcnow

EXIT_POLICY = POLICY_FAILED
log = logging.getLogger("regscan.scan")


def add_trivy_options(p: argparse.ArgumentParser, mirror: bool = True) -> None:
    """Where Trivy and its DB are (scan, serve; a Job's pod, whose mirror is the contract's)."""
    p.add_argument(
        "--trivy-binary",
        metavar="PATH",
        default=os.environ.get("REGSCAN_TRIVY"),
        help="the trivy binary ($REGSCAN_TRIVY); default: trivy on PATH or beside this Python",
    )
    if mirror:
        p.add_argument(
            "--db-repository",
            metavar="REF",
            default=os.environ.get("REGSCAN_DB_REPOSITORY"),
            help="vulnerability-DB mirror HOST/REPO[:TAG][,…] ($REGSCAN_DB_REPOSITORY); "
            "default: Trivy's",
        )
    p.add_argument("--cache-dir", metavar="DIR", help="Trivy's cache; default: Trivy's own")
    p.add_argument(
        "--skip-db-update", action="store_true", help="use the DB in --cache-dir as it is"
    )


def trivy_settings(args: argparse.Namespace) -> dict[str, Any]:
    """What `add_trivy_options` declared, as `ScannerOptions` fields (scan, serve)."""
    return {
        "trivy": args.trivy_binary,
        "cache_dir": args.cache_dir,
        "db_repository": getattr(args, "db_repository", None),
        "skip_db_update": args.skip_db_update,
    }


def add_scan_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--scanner",
        default="trivy",
        choices=["trivy", "harbor"],
        help="trivy (default) or harbor: any Harbor Scanner Adapter API server at --scanner-url",
    )
    p.add_argument(
        "--scanner-url",
        metavar="URL",
        default=os.environ.get("REGSCAN_SCANNER_URL"),
        help="the harbor scanner's base URL; its token from $REGSCAN_SCANNER_TOKEN",
    )
    add_trivy_options(p)
    p.add_argument("--parallel", type=int, default=4, help="images scanned at once (1-64)")
    p.add_argument(
        "--scan-timeout",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="limit per SBOM or scan (> 0)",
    )
    add_policy_options(p)
    p.add_argument("--rescan", action="store_true", help="re-scan from stored SBOMs")
    p.add_argument(
        "--grace-days",
        type=float,
        default=7.0,
        help="remove artifacts of digests gone from the registry this long (>= 0)",
    )


def add_policy_options(p: argparse.ArgumentParser) -> None:
    """`--fail-on`, `--only-fixable`, `--allow` (scan and check; read by `make_policy`)."""
    p.add_argument(
        "--fail-on",
        metavar="SEVERITY",
        help="exit 3 when an image has a finding this severe (CRITICAL, HIGH, MEDIUM, LOW, "
        "UNKNOWN); default: nothing fails",
    )
    p.add_argument(
        "--only-fixable", action="store_true", help="--fail-on counts fixable findings only"
    )
    p.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="ID[:YYYY-MM-DD]",
        help="ignore this vulnerability for --fail-on, until the date (repeatable)",
    )


def make_policy(args: argparse.Namespace, today: dt.date | None = None) -> Policy:
    """The policy flags; an --allow entry already expired is kept (it allows nothing) and
    warned about."""
    allow = tuple(parse_allow_entry(a) for a in args.allow)
    day = today or utcnow().date()
    for entry in allow:
        if entry.expires is not None and entry.expires <= day:
            log.warning("--allow %s expired on %s: it no longer applies", entry.id, entry.expires)
    return Policy(parse_severity(args.fail_on), args.only_fixable, allow)


def check_scan_numbers(args: argparse.Namespace) -> None:
    """The ranges of the scan flags (InvalidInput naming the flag)."""
    if not 1 <= args.parallel <= 64:
        raise InvalidInput("parallel", f"must be between 1 and 64, got {args.parallel}")
    if not args.scan_timeout > 0:
        raise InvalidInput("scan-timeout", f"must be > 0 seconds, got {args.scan_timeout:g}")
    if not 0 <= args.grace_days <= 36500:
        raise InvalidInput("grace-days", f"must be >= 0, got {args.grace_days:g}")
    if args.skip_db_update and not args.cache_dir:
        raise InvalidInput("skip-db-update", "needs --cache-dir with a prepared DB")


def scanner_options(
    args: argparse.Namespace, ca_file: str | None, insecure: bool
) -> ScannerOptions:
    """The scanner flags of `add_scan_options`, with the registry's TLS settings."""
    return ScannerOptions(
        name=args.scanner,
        **trivy_settings(args),
        parallel=args.parallel,
        timeout=args.scan_timeout,
        ca_file=ca_file,
        insecure=insecure,
        url=getattr(args, "scanner_url", None),
    )


@dataclass(frozen=True)
class ScanCommand:
    """`regscan scan`, its arguments checked and typed once."""

    spec: DiscoverySpec
    previous: dict[str, ManifestEntry]
    store: StoreOptions
    scanner: ScannerOptions
    policy: Policy
    rescan: bool
    grace: dt.timedelta
    selection: str  # a hash of the discovery filters: names the lifecycle inventory

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ScanCommand:
        spec = spec_from_args(args)  # all validation before any request
        check_scan_numbers(args)
        store = StoreOptions.from_args(args)
        store.check()
        return cls(
            spec=spec,
            previous=load_previous(args.previous),
            store=store,
            scanner=scanner_options(args, args.ca_file, args.insecure),
            policy=make_policy(args),
            rescan=args.rescan,
            grace=dt.timedelta(days=args.grace_days),
            selection=_selection(args),
        )


def new_run_id(now: dt.datetime) -> str:
    return "scan-" + now.strftime("%Y%m%dt%H%M%S") + "z-" + secrets.token_hex(2)


def publish(store: ObjectStore, index: RunIndex) -> None:
    """The run's index; `runs/latest.json` only for a complete run (see `layout`)."""
    data = index.to_json()
    store.put(layout.run_index_key(index.run_id), data)
    if not index.partial:
        store.put(layout.LATEST_RUN_KEY, data)


def exit_code(index: RunIndex) -> int:
    """3 policy failed; 1 when nothing could be scanned; 4 partial; else 0."""
    if index.policy_failing:
        return EXIT_POLICY
    if index.failed and index.failed == index.scanned + index.reused + index.failed:
        return OPERATIONAL
    return PARTIAL if index.partial else 0


def run_scan(args: argparse.Namespace) -> int:
    cmd = ScanCommand.from_args(args)
    with open_display(getattr(args, "display", "quiet")) as display:
        return scan(cmd, display)


def scan(cmd: ScanCommand, progress: Notify = no_progress) -> int:
    store = cmd.store.open()
    adapter = open_adapter(cmd.scanner, store, cmd.policy)
    now = utcnow()
    run_id = new_run_id(now)
    found = discover(cmd.spec, previous=cmd.previous, progress=progress)
    store.put(layout.discovery_key(run_id), found.to_json().encode())
    url, host = normalize_registry_url(cmd.spec.registry, cmd.spec.options.insecure)
    options = ScanOptions(run_id, url, cmd.scanner.parallel, cmd.rescan)
    index = scan_images(
        found.images, adapter, store, cmd.spec.credentials, options, progress=progress
    )
    index = mark_partial(index, len(found.errors))
    index.filter_errors = found.stats.filter_errors
    publish(store, index)
    _lifecycle(cmd, host, store, adapter, found, now)
    if isinstance(progress, Display):
        progress.close()  # the live display ends before the table
    sys.stdout.write(render_table(index))
    sys.stdout.write(f"run {run_id}: index at {store.url(layout.run_index_key(run_id))}\n")
    for err in found.errors:
        sys.stderr.write(
            f"discovery: {err.repository}{':' + err.tag if err.tag else ''}: {err.message}\n"
        )
    if index.partial:
        sys.stderr.write(
            f"run {run_id} is partial ({index.failed} images failed, {len(found.errors)} "
            f"discovery errors): {layout.LATEST_RUN_KEY} still names the last complete run\n"
        )
    return exit_code(index)


def _selection(args: argparse.Namespace) -> str:
    parts = {
        k: getattr(args, k)
        for k in ("repository", "platform", "tag_filter", "match_operator", "max_tags")
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def _lifecycle(
    cmd: ScanCommand,
    host: str,
    store: ObjectStore,
    adapter: ScannerAdapter,
    found: DiscoveryResult,
    now: dt.datetime,
) -> None:
    """Forget digests gone from the registry for longer than the grace period."""
    if found.errors:
        return  # an incomplete listing must not look like deleted images
    key = layout.inventory_key(host, cmd.selection)
    data = store.get(key)
    inventory = (
        Inventory.model_validate_json(data)
        if data
        else Inventory(registry=host, selection=cmd.selection)
    )
    others: set[str] = set()
    for other_key in store.list(layout.INVENTORY_PREFIX):
        if other_key != key:
            other = store.get(other_key)
            if other:
                others |= set(Inventory.model_validate_json(other).digests)
    seen = {i.digest for i in found.images}
    new, remove = update_inventory(inventory, seen, now, cmd.grace, others)
    for digest in remove:
        adapter.notify_image_deleted(ImageRef("", host, "", digest))
    store.put(key, new.to_json())
