"""`regscan job scan`: one shard of a cluster run, the scan Job's entrypoint (does I/O).

The run, registry, store, scanner and policy come from the contract (`REGSCAN_JOB`,
read by `regscan.common.jobs`); the shard from `--shard` or `JOB_COMPLETION_INDEX`.
The remaining options are local to the pod (Trivy binary, DB cache, timeout).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass

from job_images.job_inputs import ca_bundle_file, mounted_credentials, open_job_store
from job_images.scan_job import all_failed, run_scan_job, shard_images
from job_images.scanning.adapters import open_adapter
from job_images.scanning.policy import policy_from_spec
from job_images.scanning.scanner import ScannerOptions
from job_images.scanning.table import render_table
from regscan.cli.progress import open_display
from regscan.cli.scan import add_trivy_options
from regscan.common.errors import InvalidInput
from regscan.common.jobs import SHARD_ENV, RescanJob, ScanJob, read_scan_job


@dataclass(frozen=True)
class PodOptions:
    """The options local to a Job's pod (where results go, Trivy binary, DB cache): the
    scan and rescan Jobs share them (`add_pod_options`)."""

    output_dir: str | None
    trivy_binary: str | None
    cache_dir: str | None
    skip_db_update: bool

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> PodOptions:
        if args.skip_db_update and not args.cache_dir:
            raise InvalidInput("skip-db-update", "needs --cache-dir with a prepared DB")
        return cls(args.output_dir, args.trivy_binary, args.cache_dir, args.skip_db_update)

    def scanner(
        self, job: ScanJob | RescanJob, timeout: float, ca_file: str | None
    ) -> ScannerOptions:
        """How the pod runs the contract's scanner (its DB mirror or its server and token,
        the registry's TLS)."""
        return ScannerOptions(
            name=job.scanner.name,
            trivy=self.trivy_binary,
            cache_dir=self.cache_dir,
            db_repository=job.scanner.dbRepository,
            skip_db_update=self.skip_db_update,
            parallel=job.parallel if isinstance(job, ScanJob) else ScannerOptions.parallel,
            timeout=timeout,
            ca_file=ca_file,
            insecure=job.registry.insecure,
            url=job.scanner.url,
            token_file=job.scannerToken if isinstance(job, ScanJob) else None,
            auth_scheme=job.scanner.authScheme.lower(),
        )


@dataclass(frozen=True)
class JobScanOptions:
    shard: int
    pod: PodOptions
    scan_timeout: float

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> JobScanOptions:
        shard = args.shard if args.shard is not None else os.environ.get(SHARD_ENV)
        if shard is None or not str(shard).isdigit():
            raise InvalidInput("shard", f"give --shard N or set {SHARD_ENV}")
        if not args.scan_timeout > 0:
            raise InvalidInput("scan-timeout", "must be > 0 seconds")
        return cls(int(shard), PodOptions.from_args(args), args.scan_timeout)


def add_pod_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--output-dir", metavar="DIR", help="a folder instead of the contract's S3")
    add_trivy_options(p, mirror=False)


def add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--shard", type=int, default=None, help=f"default: ${SHARD_ENV}")
    add_pod_options(p)
    p.add_argument(
        "--scan-timeout",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="limit per SBOM or scan (> 0)",
    )


def run_job_scan(args: argparse.Namespace) -> int:
    options = JobScanOptions.from_args(args)
    job = read_scan_job(os.environ)
    store = open_job_store(job.store, options.pod.output_dir)
    images = shard_images(store, job.run, options.shard)
    with ca_bundle_file(job.registry.caBundle) as ca_file:
        scanner = options.pod.scanner(job, options.scan_timeout, ca_file)
        adapter = open_adapter(scanner, store, policy_from_spec(job.policy))
        creds = mounted_credentials(job.registry.dockerConfig, job.registry.url)
        with open_display(getattr(args, "display", "quiet")) as display:
            index = run_scan_job(job, options.shard, images, adapter, store, creds, display)
    sys.stdout.write(render_table(index))
    return 1 if all_failed(index, images) else 0
