"""`regscan report` (does I/O: reads the store): a stored run's table, or one image's report.

The arguments become a typed `ReportCommand` once, at the top.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from job_images.scanning.table import render_table
from job_images.store.protocol import ObjectStore
from regscan.cli.store_options import StoreOptions
from regscan.common import layout
from regscan.common.errors import InvalidInput
from regscan.common.reports import Report, RunImage, RunIndex


@dataclass(frozen=True)
class ReportCommand:
    store: StoreOptions  # the location argument, a folder or s3://bucket/prefix
    run: str | None
    image: str | None
    format: str  # table | json | sarif

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ReportCommand:
        return cls(
            StoreOptions.from_args(args).at(args.location), args.run, args.image, args.format
        )


def run_report(args: argparse.Namespace) -> int:
    return report(ReportCommand.from_args(args))


def load_run(store: ObjectStore, run: str | None = None) -> RunIndex:
    key = layout.run_index_key(run) if run else layout.LATEST_RUN_KEY
    data = store.get(key)
    if data is None:
        raise InvalidInput("location", f"no run index at {store.url(key)}")
    return RunIndex.model_validate_json(data)


def find_image(index: RunIndex, ref: str) -> RunImage:
    """The run's entry for `repository[:tag]`, `repository@digest` or a bare digest."""
    for img in index.images:
        if _matches(img.repository, img.tags, img.digest, ref):
            return img
    raise InvalidInput("image", f"{ref!r} is not in run {index.run_id}")


def report(cmd: ReportCommand) -> int:
    store = cmd.store.open()
    index = load_run(store, cmd.run)
    if cmd.image:
        digest = find_image(index, cmd.image).digest
        if cmd.format == "sarif":
            blob = store.get(layout.sarif_key(digest))
        else:
            blob = store.get(layout.report_key(digest))
        if blob is None:
            raise InvalidInput("image", f"no stored report for {digest}")
        if cmd.format in ("json", "sarif"):
            sys.stdout.write(blob.decode() + "\n")
        else:
            for v in Report.model_validate_json(blob).vulnerabilities:
                sys.stdout.write(
                    f"{v.severity:9s} {v.id:18s} {v.package} {v.installed_version}"
                    f" -> {v.fixed_version or '-'}\n"
                )
        return 0
    if cmd.format == "json":
        sys.stdout.write(index.model_dump_json(by_alias=True, indent=2) + "\n")
    elif cmd.format == "sarif":
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
