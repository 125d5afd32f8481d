"""Store options shared by the commands: --output-dir or --s3-* (opens the store: I/O)."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, replace
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
            return replace(self, s3_bucket=bucket, s3_prefix=prefix)
        if not Path(location).is_dir():
            raise InvalidInput("location", f"{location} is not a directory")
        return replace(self, s3_endpoint=None, output_dir=location)

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

