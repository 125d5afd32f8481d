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
from regscan.cli.job_scan import PodOptions, add_pod_options
from regscan.common import layout
from regscan.common.errors import InvalidInput
from regscan.common.jobs import RUN_ID_ENV, read_rescan_job


def add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--run", default=None, help=f"default: ${RUN_ID_ENV} (the Job's name)")
    add_pod_options(p)
    p.add_argument("--timeout", type=float, default=600.0, metavar="SECONDS",
                   help="for the DB download (default: %(default)s)")  # fmt: skip


def run_job_rescan(args: argparse.Namespace) -> int:
    if not args.timeout > 0:
        raise InvalidInput("timeout", "must be > 0 seconds")
    pod = PodOptions.from_args(args)
    job = read_rescan_job(os.environ)  # all validation before any request
    run = layout.check_run_id(args.run or os.environ.get(RUN_ID_ENV, ""))
    store = open_job_store(job.store, pod.output_dir)
    with ca_bundle_file(job.registry.caBundle) as ca_file:
        scanner = pod.scanner(job, args.timeout, ca_file)
        adapter = open_adapter(scanner, store, policy_from_spec(job.policy))
        plan = run_rescan_job(job, run, store, adapter)
    sys.stdout.write(
        f"run {run}: DB {plan.scanner.db_updated_at}: {len(plan.affected)} digests to re-scan, "
        f"{plan.verified} reports verified unchanged\n"
    )
    return 0
