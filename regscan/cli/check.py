"""`regscan check`: pass/fail of one scanned image against a policy, from its stored report
(reads the store; needs no scanner). One line of output; exit 0 pass, 3 fail, 2 bad input
or not scanned yet. The arguments become a typed `CheckCommand` once, at the top.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from job_images.scanning.adapters import open_stored_results
from job_images.scanning.adapters.harbor import NOT_SCANNED
from job_images.scanning.policy import Policy
from job_images.scanning.scanner import ImageRef
from regscan.cli import store_options
from regscan.cli.report import find_image, load_run
from regscan.cli.scan import EXIT_POLICY, make_policy
from regscan.cli.store_options import StoreOptions
from regscan.common.errors import InvalidInput
from regscan.common.reports import CheckResult

EXIT_NOT_SCANNED = InvalidInput.exit_code


def add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "location", metavar="DIR_OR_S3_URL", help="a results folder or s3://bucket/prefix"
    )
    p.add_argument(
        "--image",
        required=True,
        metavar="REF",
        help="repository[:tag] or repository@digest (from the latest run), or a digest",
    )
    p.add_argument("--fail-on", metavar="SEVERITY", help="default: nothing fails")
    p.add_argument(
        "--only-fixable", action="store_true", help="--fail-on counts fixable findings only"
    )
    p.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="ID[:YYYY-MM-DD]",
        help="ignore this vulnerability, until the date (repeatable)",
    )
    store_options.add_store_options(p, default_dir=None)


@dataclass(frozen=True)
class CheckCommand:
    store: StoreOptions
    image: str
    policy: Policy

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> CheckCommand:
        policy = make_policy(args)
        return cls(StoreOptions.from_args(args).at(args.location), args.image, policy)


def run_check(args: argparse.Namespace) -> int:
    return check(CheckCommand.from_args(args))


def verdict_line(ref: str, digest: str, policy: Policy, result: CheckResult) -> str:
    """`PASS|FAIL|NOT-SCANNED <ref> (<digest>): <reasons>` (pure)."""
    where = f"{ref} ({digest[:19]})" if digest not in ref else ref
    if not result.passed and result.reasons[:1] == [NOT_SCANNED]:
        return f"NOT-SCANNED {where}: no stored report; run regscan scan first"
    if not result.passed:
        head, *findings = result.reasons
        return f"FAIL {where}: {head}: {'; '.join(findings)}"
    if policy.fail_on is None:
        return f"PASS {where}: no --fail-on given, nothing fails"
    fixable = " fixable" if policy.only_fixable else ""
    return f"PASS {where}: no{fixable} finding at or above {policy.fail_on} outside the allowlist"


def check(cmd: CheckCommand) -> int:
    store = cmd.store.open()
    ref = cmd.image
    digest = ref.rpartition("@")[2] if "@" in ref else ref
    if not digest.startswith("sha256:"):
        digest = find_image(load_run(store), ref).digest
    adapter = open_stored_results(store, cmd.policy)
    result = adapter.check_image(ImageRef("", "", "", digest))
    sys.stdout.write(verdict_line(ref, digest, cmd.policy, result) + "\n")
    if result.passed:
        return 0
    return EXIT_NOT_SCANNED if result.reasons[:1] == [NOT_SCANNED] else EXIT_POLICY
