"""`regscan scan`, `regscan report` and `regscan job scan`: composition of discovery,
adapter, pipeline and store (does I/O; the decisions live in the modules it calls).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import secrets
import sys

from job_images.discovery.urls import normalize_registry_url
from job_images.scanning.adapters import get_adapter
from job_images.scanning.adapters.base import AdapterSettings, ImageRef, ScannerAdapter
from job_images.scanning.lifecycle import update_inventory
from job_images.scanning.pipeline import ScanOptions, scan_images
from job_images.scanning.policy import Policy, parse_allow_entry, parse_severity
from job_images.scanning.table import render_table
from job_images.store.backends import ObjectStore
from regscan.cli.store_options import open_store
from regscan.common import layout
from regscan.common.discovery import DiscoveryResult
from regscan.common.errors import InvalidInput
from regscan.common.reports import Inventory, RunIndex

EXIT_POLICY = 3


def add_scan_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scanner", default="trivy")
    p.add_argument(
        "--trivy-binary",
        metavar="PATH",
        default=os.environ.get("REGSCAN_TRIVY"),
        help="default: trivy on PATH or beside this Python",
    )
    p.add_argument("--db-repository", metavar="REF")
    p.add_argument("--cache-dir", metavar="DIR")
    p.add_argument("--skip-db-update", action="store_true")
    p.add_argument("--parallel", type=int, default=4)
    p.add_argument("--scan-timeout", type=float, default=300.0, metavar="SECONDS")
    p.add_argument("--fail-on", metavar="SEVERITY")
    p.add_argument("--only-fixable", action="store_true")
    p.add_argument("--allow", action="append", default=[], metavar="ID[:YYYY-MM-DD]")
    p.add_argument("--rescan", action="store_true", help="re-scan from stored SBOMs")
    p.add_argument(
        "--grace-days",
        type=float,
        default=7.0,
        help="remove artifacts of digests gone from the registry this long",
    )


def make_policy(args: argparse.Namespace) -> Policy:
    return Policy(
        parse_severity(args.fail_on),
        args.only_fixable,
        tuple(parse_allow_entry(a) for a in args.allow),
    )


def make_adapter(args: argparse.Namespace, store: ObjectStore, policy: Policy) -> ScannerAdapter:
    if args.parallel < 1 or args.parallel > 64:
        raise InvalidInput("parallel", "must be between 1 and 64")
    if args.skip_db_update and not args.cache_dir:
        raise InvalidInput("skip-db-update", "needs --cache-dir with a prepared DB")
    adapter = get_adapter(args.scanner)
    adapter.configure(
        AdapterSettings(
            store=store,
            policy=policy,
            timeout=args.scan_timeout,
            ca_file=getattr(args, "ca_file", None),
            insecure=getattr(args, "insecure", False),
            options={
                "trivy": args.trivy_binary,
                "parallel": args.parallel,
                "cache_dir": args.cache_dir,
                "db_repository": args.db_repository,
                "skip_db_update": args.skip_db_update,
            },
        )
    )
    return adapter


def new_run_id(now: dt.datetime) -> str:
    return "scan-" + now.strftime("%Y%m%dt%H%M%S") + "z-" + secrets.token_hex(2)


def publish(store: ObjectStore, index: RunIndex) -> None:
    data = index.to_json()
    store.put(layout.run_index_key(index.run_id), data)
    store.put(layout.LATEST_RUN_KEY, data)


def exit_code(index: RunIndex) -> int:
    if index.failed:
        return 1
    return EXIT_POLICY if index.policy_failing else 0


def run_scan(args: argparse.Namespace) -> int:
    from job_images.discovery.run import discover
    from regscan.cli.discover import load_previous, spec_from_args

    spec = spec_from_args(args)  # all validation before any request
    policy = make_policy(args)
    store = open_store(args)
    adapter = make_adapter(args, store, policy)
    now = dt.datetime.now(dt.UTC)
    run_id = new_run_id(now)
    found = discover(spec, previous=load_previous(args.previous))
    store.put(layout.discovery_key(run_id), found.to_json().encode())
    url, host = normalize_registry_url(spec.registry, spec.options.insecure)
    options = ScanOptions(run_id, url, args.parallel, args.rescan, policy=policy)
    index = scan_images(found.images, adapter, store, spec.credentials, options)
    publish(store, index)
    _lifecycle(args, host, store, adapter, found, now)
    sys.stdout.write(render_table(index))
    sys.stdout.write(f"run {run_id}: index at {store.url(layout.run_index_key(run_id))}\n")
    for err in found.errors:
        sys.stderr.write(
            f"discovery: {err.repository}{':' + err.tag if err.tag else ''}: {err.message}\n"
        )
    return exit_code(index)


def _selection(args: argparse.Namespace) -> str:
    parts = {
        k: getattr(args, k)
        for k in ("repository", "platform", "tag_filter", "match_operator", "max_tags")
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def _lifecycle(
    args: argparse.Namespace,
    host: str,
    store: ObjectStore,
    adapter: ScannerAdapter,
    found: DiscoveryResult,
    now: dt.datetime,
) -> None:
    if found.errors:
        return  # an incomplete listing must not look like deleted images
    selection = _selection(args)
    key = layout.inventory_key(host, selection)
    data = store.get(key)
    inventory = (
        Inventory.model_validate_json(data)
        if data
        else Inventory(registry=host, selection=selection)
    )
    others: set[str] = set()
    for other_key in store.list(layout.INVENTORY_PREFIX):
        if other_key != key:
            other = store.get(other_key)
            if other:
                others |= set(Inventory.model_validate_json(other).digests)
    seen = {i.digest for i in found.images}
    new, remove = update_inventory(inventory, seen, now, dt.timedelta(days=args.grace_days), others)
    for digest in remove:
        adapter.notify_image_deleted(ImageRef("", host, "", digest))
        for k in (layout.report_key(digest), layout.sarif_key(digest), layout.sbom_key(digest)):
            store.delete(k)
    store.put(key, new.to_json())
