"""Store options shared by the commands: --output-dir or --s3-* (opens the store: I/O)."""

from __future__ import annotations

import argparse
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from job_images.store.backends import FilesystemStore, ObjectStore, S3Store, s3_settings_from_env
from regscan.common import layout
from regscan.common.errors import InvalidInput


def add_store_options(p: argparse.ArgumentParser, default_dir: str | None) -> None:
    p.add_argument(
        "--output-dir", default=default_dir, metavar="DIR", help="results folder (created)"
    )
    p.add_argument(
        "--s3-endpoint",
        metavar="URL",
        default=os.environ.get("REGSCAN_S3_ENDPOINT"),
        help="S3 endpoint instead of a folder ($REGSCAN_S3_ENDPOINT); keys from "
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
    )
    p.add_argument(
        "--s3-bucket",
        metavar="B",
        default=os.environ.get("REGSCAN_S3_BUCKET"),
        help="S3 bucket ($REGSCAN_S3_BUCKET)",
    )
    p.add_argument(
        "--s3-prefix",
        metavar="P",
        default=os.environ.get("REGSCAN_S3_PREFIX", ""),
        help="key prefix in the bucket ($REGSCAN_S3_PREFIX)",
    )
    p.add_argument("--s3-ca-file", metavar="PEM", help="CA bundle for an https S3 endpoint")
    p.add_argument(
        "--s3-insecure", action="store_true", help="skip TLS verification of the S3 endpoint"
    )


@dataclass(frozen=True)
class StoreOptions:
    """Where results live: a folder, or an S3 bucket (endpoint set)."""

    output_dir: str | None = None
    s3_endpoint: str | None = None
    s3_bucket: str | None = None
    s3_prefix: str = ""
    s3_ca_file: str | None = None
    s3_insecure: bool = False

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> StoreOptions:
        return cls(
            output_dir=args.output_dir,
            s3_endpoint=args.s3_endpoint,
            s3_bucket=args.s3_bucket,
            s3_prefix=args.s3_prefix or "",
            s3_ca_file=args.s3_ca_file,
            s3_insecure=bool(args.s3_insecure),
        )

    def at(self, location: str) -> StoreOptions:
        """The store a DIR_OR_S3_URL argument names (`s3://bucket/prefix` needs an endpoint)."""
        if location.startswith("s3://"):
            bucket, _, prefix = location[5:].partition("/")
            if not self.s3_endpoint:
                raise InvalidInput("s3-endpoint", "needed to read an s3:// location")
            layout.check_bucket_name(bucket, field="location")
            return replace(self, s3_bucket=bucket, s3_prefix=prefix)
        if not Path(location).is_dir():
            raise InvalidInput("location", f"{location} is not a directory")
        return replace(self, s3_endpoint=None, output_dir=location)

    def check(self) -> None:
        """Validate before any work: bucket name, endpoint URL, a writable folder."""
        if self.s3_endpoint:
            if not re.match(r"^(https?://)?[A-Za-z0-9.-]+(:\d{1,5})?/?$", self.s3_endpoint):
                raise InvalidInput(
                    "s3-endpoint", f"{self.s3_endpoint!r} is not http(s)://host[:port]"
                )
            if not self.s3_bucket:
                raise InvalidInput("s3-bucket", "is required with --s3-endpoint")
            layout.check_bucket_name(self.s3_bucket)
            if self.s3_ca_file and not Path(self.s3_ca_file).is_file():
                raise InvalidInput("s3-ca-file", f"{self.s3_ca_file} is not a file")
            return
        if not self.output_dir:
            raise InvalidInput("output-dir", "give --output-dir or --s3-endpoint")
        folder = Path(self.output_dir)
        existing = next((p for p in (folder, *folder.parents) if p.exists()), Path("."))
        if not existing.is_dir():
            raise InvalidInput("output-dir", f"{existing} is not a directory")
        if not os.access(existing, os.W_OK | os.X_OK):
            raise InvalidInput("output-dir", f"{existing} is not writable")

    def open(self) -> ObjectStore:
        if self.s3_endpoint:
            settings = s3_settings_from_env(
                self.s3_endpoint,
                self.s3_bucket or "",
                self.s3_prefix,
                ca_file=self.s3_ca_file,
                insecure=self.s3_insecure,
            )
            return S3Store(settings)
        if not self.output_dir:
            raise InvalidInput("output-dir", "give --output-dir or --s3-endpoint")
        return FilesystemStore(Path(self.output_dir))
