"""The `regscan` command line: a thin shell over library calls (does I/O).

Exit codes: 0 ok; 1 operational failure; 2 invalid input; 3 policy (`--fail-on`) met.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from regscan.common.errors import RegscanError

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _discover(args: argparse.Namespace) -> int:
    from job_images.discovery.run import discover
    from regscan.cli.discover import load_previous, spec_from_args

    spec = spec_from_args(args)
    result = discover(spec, previous=load_previous(args.previous))
    text = result.to_json()
    if args.output in (None, "-"):
        sys.stdout.write(text + "\n")
    else:
        Path(args.output).write_text(text + "\n")
    for err in result.errors:
        where = err.repository + (f":{err.tag}" if err.tag else "")
        logging.getLogger("regscan.discover").warning("%s: %s", where, err.message)
    return 0


def _controller(args: argparse.Namespace) -> int:
    from controller.__main__ import main as controller_main

    return controller_main()


def build_parser() -> argparse.ArgumentParser:
    from regscan.cli.discover import add_discovery_options

    parser = _Parser(prog="regscan", description="Container-registry vulnerability scanner.")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("discover", help="list a registry and resolve images to platform digests")
    add_discovery_options(p)
    p.add_argument("--output", "-o", default="-", metavar="FILE|-")
    p.set_defaults(handler=_discover)

    from regscan.cli import job_scan, report, store_options
    from regscan.cli import scan as scan_cmd

    p = sub.add_parser("scan", help="discover, SBOM and scan a registry in one process")
    add_discovery_options(p)
    store_options.add_store_options(p, default_dir="./regscan-results")
    scan_cmd.add_scan_options(p)
    p.set_defaults(handler=scan_cmd.run_scan)

    p = sub.add_parser("report", help="print a stored run summary or an image's report")
    p.add_argument("location", metavar="DIR_OR_S3_URL")
    p.add_argument("--image", metavar="REF", help="repository[:tag], repository@digest or digest")
    p.add_argument("--run", metavar="RUN_ID", help="default: the latest run")
    p.add_argument("--format", choices=["table", "json", "sarif"], default="table")
    store_options.add_store_options(p, default_dir=None)
    p.set_defaults(handler=report.run_report)

    from regscan.cli import check as check_cmd

    p = sub.add_parser("check", help="pass/fail of one scanned image against a policy")
    check_cmd.add_check_options(p)
    p.set_defaults(handler=check_cmd.run_check)

    p = sub.add_parser("job", help="entrypoints the controller's Jobs run")
    jobs = p.add_subparsers(dest="job", required=True, parser_class=_Parser)
    j = jobs.add_parser("scan", help="scan one shard of a run")
    j.add_argument("--run", required=True)
    j.add_argument("--shard", type=int, default=None, help="default: $JOB_COMPLETION_INDEX")
    j.add_argument("--docker-config", metavar="DIR")
    j.add_argument("--insecure", action="store_true", help="skip TLS verification / allow http")
    store_options.add_store_options(j, default_dir=os.environ.get("REGSCAN_OUTPUT_DIR"))
    scan_cmd.add_scan_options(j)
    j.set_defaults(handler=job_scan.run_job_scan)
    from regscan.cli.job_discover import run_job_discover

    j = jobs.add_parser("discover", help="discover a Registry's images for a run")
    j.add_argument("--run", default=None, help="default: $REGSCAN_RUN_ID")
    j.add_argument("--docker-config", metavar="DIR")
    store_options.add_store_options(j, default_dir=os.environ.get("REGSCAN_OUTPUT_DIR"))
    j.set_defaults(handler=run_job_discover)

    p = sub.add_parser(
        "controller", help="run the Kubernetes controller (settings from REGSCAN_* variables)"
    )
    p.set_defaults(handler=_controller)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    handler: Handler = args.handler
    try:
        return handler(args)
    except RegscanError as exc:
        sys.stderr.write(f"regscan {args.command}: error: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
