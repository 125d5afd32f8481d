"""`regscan job scan`: one shard of a cluster run, the scan Job's entrypoint (does I/O)."""

from __future__ import annotations

import argparse
import os
import sys

from job_images.job_inputs import ca_bundle_file, job_credentials
from job_images.scanning.adapters import open_adapter
from job_images.scanning.pipeline import ScanOptions, scan_images
from job_images.scanning.table import render_table
from regscan.cli.scan import make_policy, scanner_options
from regscan.cli.store_options import open_store
from regscan.common import layout
from regscan.common.discovery import ImageEntry
from regscan.common.errors import InvalidInput
from regscan.common.reports import ShardSpec


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
        scanner = scanner_options(args, ca_file=ca_file, insecure=args.insecure)
        adapter = open_adapter(scanner, store, policy)
        creds = job_credentials(args, spec.registry_url)
        options = ScanOptions(args.run, spec.registry_url, args.parallel, args.rescan)
        index = scan_images(images, adapter, store, creds, options)
    store.put(layout.shard_result_key(args.run, int(shard)), index.to_json())
    sys.stdout.write(render_table(index))
    return 1 if index.failed and index.failed == len({i.digest for i in images}) else 0
