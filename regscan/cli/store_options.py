"""Store options shared by the commands: --output-dir or --s3-* (opens the store: I/O)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from job_images.store.backends import FilesystemStore, ObjectStore, S3Store, s3_settings_from_env
from regscan.common.errors import InvalidInput


def add_store_options(p: argparse.ArgumentParser, default_dir: str | None) -> None:
    p.add_argument("--output-dir", default=default_dir, metavar="DIR")
    p.add_argument("--s3-endpoint", metavar="URL", default=os.environ.get("REGSCAN_S3_ENDPOINT"))
    p.add_argument("--s3-bucket", metavar="B", default=os.environ.get("REGSCAN_S3_BUCKET"))
    p.add_argument("--s3-prefix", metavar="P", default=os.environ.get("REGSCAN_S3_PREFIX", ""))
    p.add_argument("--s3-ca-file", metavar="PEM")
    p.add_argument("--s3-insecure", action="store_true")


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
