"""`regscan job discover`: the discovery CronJob's entrypoint (does I/O).

Everything comes from the contract the controller put in the pod (`REGSCAN_JOB`, read by
`regscan.common.jobs`); the run id from `--run` or `REGSCAN_RUN_ID` (the Job's name,
through the downward API). `--output-dir` writes to a folder instead of the contract's S3.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass

from job_images.discovery_job import run_discovery_job
from job_images.job_inputs import ca_bundle_file, mounted_credentials, open_job_store
from regscan.cli.progress import open_display
from regscan.common import layout
from regscan.common.jobs import RUN_ID_ENV, read_discovery_job


@dataclass(frozen=True)
class JobDiscoverOptions:
    run: str
    output_dir: str | None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> JobDiscoverOptions:
        return cls(args.run or os.environ.get(RUN_ID_ENV, ""), args.output_dir)


def add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--run", default=None, help=f"default: ${RUN_ID_ENV} (the Job's name)")
    p.add_argument("--output-dir", metavar="DIR", help="a folder instead of the contract's S3")


def run_job_discover(args: argparse.Namespace) -> int:
    options = JobDiscoverOptions.from_args(args)
    job = read_discovery_job(os.environ)  # all validation before any request
    run = layout.check_run_id(options.run)
    store = open_job_store(job.store, options.output_dir)
    creds = mounted_credentials(job.registry.dockerConfig, job.registry.url)
    with (
        ca_bundle_file(job.registry.caBundle) as ca_file,
        open_display(getattr(args, "display", "quiet")) as display,
    ):
        found = run_discovery_job(job, run, store, creds, ca_file, display)
    sys.stdout.write(
        f"run {run}: {found.stats.repositories} repositories, {found.stats.tags} tags, "
        f"{len(found.images)} images -> {store.url(layout.discovery_key(run))}\n"
    )
    return 0
