"""`regscan job rescan`: the rescan Job's entrypoint after a DB update (does I/O).

The contract (`REGSCAN_JOB`) names the run to re-check, the store, scanner and policy;
the run id comes from `--run` or `REGSCAN_RUN_ID` (the Job's name). Pod-local options
(Trivy binary, DB cache) are those of `regscan job scan`.
"""

from __future__ import annotations

import argparse
import os
import sys

from job_images.job_inputs import ca_bundle_file, open_job_store
from job_images.rescan_job import run_rescan_job
from job_images.scanning.adapters import open_adapter
from job_images.scanning.policy import policy_from_spec
from job_images.scanning.scanner import ScannerOptions
from regscan.common import layout
from regscan.common.errors import InvalidInput
from regscan.common.jobs import RUN_ID_ENV, read_rescan_job


def add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--run", default=None, help=f"default: ${RUN_ID_ENV} (the Job's name)")
    p.add_argument("--output-dir", metavar="DIR", help="a folder instead of the contract's S3")
    p.add_argument(
        "--trivy-binary",
        metavar="PATH",
        default=os.environ.get("REGSCAN_TRIVY"),
        help="the trivy binary ($REGSCAN_TRIVY); default: trivy on PATH or beside this Python",
    )
    p.add_argument("--cache-dir", metavar="DIR", help="Trivy's cache (default: $TRIVY_CACHE_DIR)")
    p.add_argument("--skip-db-update", action="store_true", help="use the DB in --cache-dir")
    p.add_argument("--timeout", type=float, default=600.0, metavar="SECONDS",
                   help="for the DB download (default: %(default)s)")  # fmt: skip


def run_job_rescan(args: argparse.Namespace) -> int:
    if not args.timeout > 0:
        raise InvalidInput("timeout", "must be > 0 seconds")
    if args.skip_db_update and not args.cache_dir:
        raise InvalidInput("skip-db-update", "needs --cache-dir with a prepared DB")
    job = read_rescan_job(os.environ)  # all validation before any request
    run = layout.check_run_id(args.run or os.environ.get(RUN_ID_ENV, ""))
    store = open_job_store(job.store, args.output_dir)
    with ca_bundle_file(job.registry.caBundle) as ca_file:
        scanner = ScannerOptions(
            name=job.scanner.name,
            trivy=args.trivy_binary,
            cache_dir=args.cache_dir,
            db_repository=job.scanner.dbRepository,
            skip_db_update=args.skip_db_update,
            timeout=args.timeout,
            ca_file=ca_file,
            insecure=job.registry.insecure,
        )
        adapter = open_adapter(scanner, store, policy_from_spec(job.policy))
        plan = run_rescan_job(job, run, store, adapter)
    sys.stdout.write(
        f"run {run}: DB {plan.scanner.db_updated_at}: {len(plan.affected)} digests to re-scan, "
        f"{plan.verified} reports verified unchanged\n"
    )
    return 0
