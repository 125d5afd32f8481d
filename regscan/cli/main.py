"""The `regscan` command line: the parser and the dispatch (does I/O).

Each command lives in its own module of `regscan.cli` with `add_options(parser)` and a
handler that turns the argparse namespace into a typed options object once.
Exit codes: 0 ok; 1 operational failure; 2 invalid input; 3 policy (`--fail-on`) met.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from regscan import __version__
from regscan.cli import discover, job_discover, job_scan, report, scan, store_options
from regscan.common.errors import RegscanError

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _controller(args: argparse.Namespace) -> int:
    from controller.app import main as controller_main  # the controller's client libs, lazily

    return controller_main()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="regscan", description="Container-registry vulnerability scanner.")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--version", action="version", version=f"regscan {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("discover", help="list a registry and resolve images to platform digests")
    discover.add_options(p)
    p.set_defaults(handler=discover.run_discover)

    p = sub.add_parser("scan", help="discover, SBOM and scan a registry in one process")
    discover.add_discovery_options(p)
    store_options.add_store_options(p, default_dir="./regscan-results")
    scan.add_scan_options(p)
    p.set_defaults(handler=scan.run_scan)

    p = sub.add_parser("report", help="print a stored run summary or an image's report")
    p.add_argument("location", metavar="DIR_OR_S3_URL")
    p.add_argument("--image", metavar="REF", help="repository[:tag], repository@digest or digest")
    p.add_argument("--run", metavar="RUN_ID", help="default: the latest run")
    p.add_argument("--format", choices=["table", "json", "sarif"], default="table")
    store_options.add_store_options(p, default_dir=None)
    p.set_defaults(handler=report.run_report)

    from regscan.cli import check as check_cmd

    p = sub.add_parser("check", help="pass/fail of one scanned image against a policy")
    check_cmd.add_options(p)
    p.set_defaults(handler=check_cmd.run_check)

    from regscan.cli import serve as serve_cmd

    p = sub.add_parser("serve", help="serve the Harbor Scanner Adapter API v1.2 (Harbor's scanner)")
    serve_cmd.add_options(p)
    p.set_defaults(handler=serve_cmd.run_serve)

    p = sub.add_parser("job", help="entrypoints the controller's Jobs run")
    jobs = p.add_subparsers(dest="job", required=True, parser_class=_Parser)
    j = jobs.add_parser("scan", help="scan one shard of a run (contract in $REGSCAN_JOB)")
    job_scan.add_options(j)
    j.set_defaults(handler=job_scan.run_job_scan)
    j = jobs.add_parser("discover", help="discover a Registry for a run (contract in $REGSCAN_JOB)")
    job_discover.add_options(j)
    j.set_defaults(handler=job_discover.run_job_discover)

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
