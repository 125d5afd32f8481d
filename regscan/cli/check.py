"""`regscan check`: pass/fail of a scanned image against a policy, from its stored reports
(reads the store; needs no scanner). A tag or index digest names every platform (from the
latest run): one line per platform; exit 0 all pass, 3 any fails, 2 bad input or not scanned
yet. The arguments become a typed `CheckCommand` once, at the top.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from job_images.scanning.adapters import open_stored_results
from job_images.scanning.adapters.harbor import NOT_SCANNED
from job_images.scanning.policy import Policy
from job_images.scanning.query import parse_image_ref, select_images
from job_images.scanning.scanner import ImageRef
from job_images.store.protocol import ObjectStore
from regscan.cli import store_options
from regscan.cli.report import find_images, load_run
from regscan.cli.scan import EXIT_POLICY, add_policy_options, make_policy
from regscan.cli.store_options import StoreOptions
from regscan.common import layout
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
    add_policy_options(p)
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
    adapter = open_stored_results(store, cmd.policy)
    worst = 0
    for label, digest in targets(store, cmd.image):
        result = adapter.check_image(ImageRef("", "", "", digest))
        sys.stdout.write(verdict_line(label, digest, cmd.policy, result) + "\n")
        if not result.passed:
            code = EXIT_NOT_SCANNED if result.reasons[:1] == [NOT_SCANNED] else EXIT_POLICY
            worst = EXIT_POLICY if EXIT_POLICY in (worst, code) else code
    return worst


def targets(store: ObjectStore, ref: str) -> list[tuple[str, str]]:
    """(label, platform digest) for each platform `ref` names in the latest run; a digest
    the run does not hold is judged as given (it may be scanned but not in that run)."""
    query = parse_image_ref(ref)
    index = load_run(store) if store.exists(layout.LATEST_RUN_KEY) else None
    found = select_images(index.images, query, None) if index is not None else []
    if not found and query.digest is not None:
        return [(ref, query.digest)]
    if not found:
        find_images(load_run(store), ref)  # raises InvalidInput naming the image
    digests = list(dict.fromkeys((img.digest, img.platform) for img in found))
    if len(digests) == 1:
        return [(ref, digests[0][0])]
    return [(f"{ref} {platform}", digest) for digest, platform in digests]
