"""`regscan report`: a stored run's table, or one image's report (reads the store)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from job_images.scanning.table import render_table
from regscan.cli.store_options import open_store
from regscan.common import layout
from regscan.common.errors import InvalidInput
from regscan.common.reports import Report, RunIndex


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
