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
from pathlib import Path

from job_images.credentials import Credentials
from job_images.discovery.urls import normalize_registry_url
from job_images.docker_config import load_docker_config
from job_images.scanning.adapters import get_adapter
from job_images.scanning.adapters.base import AdapterSettings, ImageRef, ScannerAdapter
from job_images.scanning.lifecycle import update_inventory
from job_images.scanning.pipeline import ScanOptions, scan_images
from job_images.scanning.policy import Policy, parse_allow_entry, parse_severity
from job_images.scanning.table import render_table
from job_images.store.backends import FilesystemStore, ObjectStore, S3Store, s3_settings_from_env
from regscan.cli.job_discover import ca_bundle_file
from regscan.common import layout
from regscan.common.discovery import DiscoveryResult, ImageEntry
from regscan.common.errors import InvalidInput
from regscan.common.reports import Inventory, Report, RunIndex, ShardSpec

EXIT_POLICY = 3


def add_store_options(p: argparse.ArgumentParser, default_dir: str | None) -> None:
    p.add_argument("--output-dir", default=default_dir, metavar="DIR")
    p.add_argument("--s3-endpoint", metavar="URL", default=os.environ.get("REGSCAN_S3_ENDPOINT"))
    p.add_argument("--s3-bucket", metavar="B", default=os.environ.get("REGSCAN_S3_BUCKET"))
    p.add_argument("--s3-prefix", metavar="P", default=os.environ.get("REGSCAN_S3_PREFIX", ""))
    p.add_argument("--s3-ca-file", metavar="PEM")
    p.add_argument("--s3-insecure", action="store_true")


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


def open_store(args: argparse.Namespace) -> ObjectStore:
    if args.s3_endpoint:
        settings = s3_settings_from_env(
            args.s3_endpoint,
            args.s3_bucket or "",
            args.s3_prefix,
            ca_file=args.s3_ca_file,
            insecure=args.s3_insecure,
        )
        return S3Store(settings)
    if not args.output_dir:
        raise InvalidInput("output-dir", "give --output-dir or --s3-endpoint")
    return FilesystemStore(Path(args.output_dir))


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


def run_report(args: argparse.Namespace) -> int:
    target = args.location
    if target.startswith("s3://"):
        bucket, _, prefix = target[5:].partition("/")
        args.s3_bucket, args.s3_prefix = bucket, prefix
        if not args.s3_endpoint:
            raise InvalidInput("s3-endpoint", "needed to read an s3:// location")
    else:
        args.s3_endpoint = None
        args.output_dir = target
        if not Path(target).is_dir():
            raise InvalidInput("location", f"{target} is not a directory")
    store = open_store(args)
    key = layout.run_index_key(args.run) if args.run else layout.LATEST_RUN_KEY
    data = store.get(key)
    if data is None:
        raise InvalidInput("location", f"no run index at {store.url(key)}")
    index = RunIndex.model_validate_json(data)
    if args.image:
        images = [i for i in index.images if _matches(i.repository, i.tags, i.digest, args.image)]
        if not images:
            raise InvalidInput("image", f"{args.image!r} is not in run {index.run_id}")
        digest = images[0].digest
        if args.format == "sarif":
            blob = store.get(layout.sarif_key(digest))
        else:
            blob = store.get(layout.report_key(digest))
        if blob is None:
            raise InvalidInput("image", f"no stored report for {digest}")
        if args.format in ("json", "sarif"):
            sys.stdout.write(blob.decode() + "\n")
        else:
            report = Report.model_validate_json(blob)
            for v in report.vulnerabilities:
                sys.stdout.write(
                    f"{v.severity:9s} {v.id:18s} {v.package} {v.installed_version}"
                    f" -> {v.fixed_version or '-'}\n"
                )
        return 0
    if args.format == "json":
        sys.stdout.write(index.model_dump_json(by_alias=True, indent=2) + "\n")
    elif args.format == "sarif":
        raise InvalidInput("format", "sarif needs --image")
    else:
        sys.stdout.write(render_table(index))
    return 0


def _matches(repository: str, tags: list[str], digest: str, ref: str) -> bool:
    if ref.startswith("sha256:"):
        return digest == ref
    name, _, suffix = ref.rpartition("@") if "@" in ref else (ref, "", "")
    if suffix:
        return digest == suffix and name.split("/", 1)[-1] in (repository, name)
    repo, _, tag = ref.rpartition(":") if ":" in ref.split("/")[-1] else (ref, "", "")
    return repository in (repo, repo.split("/", 1)[-1]) and (not tag or tag in tags)


def run_job_scan(args: argparse.Namespace) -> int:
    shard = args.shard if args.shard is not None else os.environ.get("JOB_COMPLETION_INDEX")
    if shard is None or not str(shard).isdigit():
        raise InvalidInput("shard", "give --shard N or set JOB_COMPLETION_INDEX")
    layout.check_run_id(args.run)
    store = open_store(args)
    data = store.get(layout.shard_key(args.run, int(shard)))
    if data is None:
        raise InvalidInput(
            "shard", f"no shard list at {store.url(layout.shard_key(args.run, int(shard)))}"
        )
    spec = ShardSpec.model_validate_json(data)
    images = [ImageEntry.model_validate(i) for i in spec.images]
    policy = make_policy(args)
    with ca_bundle_file(os.environ.get("REGSCAN_CA_BUNDLE")) as ca_file:
        args.ca_file = ca_file
        adapter = make_adapter(args, store, policy)
        creds = job_credentials(args, spec.registry_url)
        options = ScanOptions(
            args.run, spec.registry_url, args.parallel, args.rescan, policy=policy
        )
        index = scan_images(images, adapter, store, creds, options)
    store.put(layout.shard_result_key(args.run, int(shard)), index.to_json())
    sys.stdout.write(render_table(index))
    return 1 if index.failed and index.failed == len({i.digest for i in images}) else 0


def job_credentials(args: argparse.Namespace, registry_url: str) -> Credentials | None:
    folder = args.docker_config or os.environ.get("REGSCAN_DOCKER_CONFIG")
    if not folder or not Path(folder).exists():
        return None
    return load_docker_config(Path(folder), normalize_registry_url(registry_url)[1])
