"""`regscan report` (does I/O: reads the store): a stored run as a table, JSON, SARIF or CSV,
whole or for the images one reference names (every platform of a tag or index, or the one
`--platform` picks). The arguments become a typed `ReportCommand` once, at the top.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass

from job_images.discovery.platforms import Platform
from job_images.scanning import artifacts
from job_images.scanning.query import (
    ImageQuery,
    describe,
    parse_image_ref,
    parse_platform_option,
    select_images,
)
from job_images.scanning.sarif import run_sarif
from job_images.scanning.table import render_csv, render_images, render_table
from job_images.store.protocol import ObjectStore
from regscan.cli import store_options
from regscan.cli.store_options import StoreOptions
from regscan.common import layout
from regscan.common.errors import InvalidInput
from regscan.common.reports import ImageReport, RunImage, RunIndex, RunReport

FORMATS = ("table", "json", "sarif", "csv")


def add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("location", metavar="DIR_OR_S3_URL", help="a results folder or s3://B/P")
    p.add_argument(
        "--image",
        metavar="REF",
        help="repository[:tag], repository@<platform or index digest>, or a bare sha256:…; "
        "a tag or index shows every platform (default: the whole run)",
    )
    p.add_argument(
        "--platform",
        metavar="OS/ARCH[/VARIANT][:OSVERSION]",
        help="only this platform (no variant: every variant; an os version matches by prefix)",
    )
    p.add_argument("--run", metavar="RUN_ID", help="default: the latest run")
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="sarif: one SARIF 2.1.0 log with one run for the images shown "
        "(for code scanning); csv: one row per finding (default: %(default)s)",
    )
    store_options.add_store_options(p, default_dir=None)


@dataclass(frozen=True)
class ReportCommand:
    store: StoreOptions  # the location argument, a folder or s3://bucket/prefix
    run: str | None
    image: str | None
    query: ImageQuery | None
    platform: Platform | None
    format: str

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ReportCommand:
        if args.format not in FORMATS:
            raise InvalidInput("format", f"{args.format!r} is not one of {', '.join(FORMATS)}")
        return cls(
            store=StoreOptions.from_args(args).at(args.location),
            run=layout.check_run_id(args.run) if args.run else None,
            image=args.image,
            query=parse_image_ref(args.image) if args.image else None,
            platform=parse_platform_option(args.platform),
            format=args.format,
        )


def run_report(args: argparse.Namespace) -> int:
    return report(ReportCommand.from_args(args))


def load_run(store: ObjectStore, run: str | None = None) -> RunIndex:
    key = layout.run_index_key(run) if run else layout.LATEST_RUN_KEY
    data = store.get(key)
    if data is None:
        raise InvalidInput("location", f"no run index at {store.url(key)}")
    return RunIndex.model_validate_json(data)


def find_images(index: RunIndex, ref: str, platform: Platform | None = None) -> list[RunImage]:
    """The run's entries `ref` names (every platform of a tag or index), or InvalidInput."""
    found = select_images(index.images, parse_image_ref(ref), platform)
    if not found:
        raise InvalidInput("image", f"{describe(ref, platform)} is not in run {index.run_id}")
    return found


def report(cmd: ReportCommand) -> int:
    store = cmd.store.open()
    index = load_run(store, cmd.run)
    images = select_images(index.images, cmd.query, cmd.platform)
    if not images and (cmd.query is not None or cmd.platform is not None):
        what = describe(cmd.image, cmd.platform)
        raise InvalidInput(
            "image" if cmd.image else "platform", f"{what} is not in run {index.run_id}"
        )
    if cmd.image is None and cmd.format in ("table", "json"):
        # with --platform: that platform's images, counted again
        shown = index.model_copy(update={"images": images}).counted() if cmd.platform else index
        if cmd.format == "json":
            sys.stdout.write(shown.model_dump_json(by_alias=True, indent=2) + "\n")
        else:
            sys.stdout.write(render_table(shown))
        return 0
    run = with_reports(store, index, images)
    if cmd.format == "sarif":
        pairs = [(i.image, i.report) for i in run.images]
        log = run_sarif(index.run_id, index.registry, index.scanner, pairs)
        sys.stdout.write(json.dumps(log, indent=1) + "\n")
    elif cmd.format == "csv":
        sys.stdout.write(render_csv(run))
    elif cmd.format == "json":
        sys.stdout.write(run.model_dump_json(by_alias=True, indent=2) + "\n")
    else:
        sys.stdout.write(render_images(run))
    return 0


def with_reports(store: ObjectStore, index: RunIndex, images: list[RunImage]) -> RunReport:
    """The images with their stored reports (each digest read once)."""
    reports = {d: artifacts.load_report(store, d) for d in dict.fromkeys(i.digest for i in images)}
    return RunReport(
        runId=index.run_id,
        registry=index.registry,
        policy=index.policy,
        images=[
            ImageReport(image=i, report=reports[i.digest] if i.status == "ok" else None)
            for i in images
        ],
    )
