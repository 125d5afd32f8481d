"""The `regscan` command line: the parser and the dispatch (does I/O).

Each command lives in its own module of `regscan.cli` with `add_options(parser)` and a
handler that turns the argparse namespace into a typed options object once.
Exit codes (`regscan.cli.exits`): 0 ok; 1 operational failure; 2 invalid input;
3 policy failed; 4 partial. No exception reaches the user as a traceback: an
unexpected one becomes one line, and `-v` shows the traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence

from regscan import __version__
from regscan.cli import (
    discover,
    filter_tags,
    job_discover,
    job_rescan,
    job_scan,
    report,
    scan,
    store_options,
)
from regscan.cli.exits import EPILOG, INVALID_INPUT, OPERATIONAL, HelpFormatter
from regscan.cli.progress import JsonLogFormatter
from regscan.common.errors import InvalidInput, RegscanError

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        kwargs.setdefault("epilog", EPILOG)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(INVALID_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _common(p: argparse.ArgumentParser, default: object) -> None:
    """-v/-q, accepted before or after the command name."""
    p.add_argument(
        "-v", "--verbose", action="store_true", default=default, help="debug logs and tracebacks"
    )
    p.add_argument(
        "-q", "--quiet", action="store_true", default=default, help="no progress display"
    )


def _log_format(p: argparse.ArgumentParser) -> None:
    inside = "KUBERNETES_SERVICE_HOST" in os.environ
    p.add_argument(
        "--log-format",
        choices=["json", "text"],
        default="json" if inside else "text",
        help="json: one JSON line per log record and progress event (default inside a pod: "
        "json, elsewhere: text)",
    )


def _controller(args: argparse.Namespace) -> int:
    try:  # the controller's client libraries, lazily: the Job image does not carry them
        from controller.app import main as controller_main
    except ImportError as exc:
        raise InvalidInput(
            "image",
            f"the controller's libraries are not installed (no {exc.name or exc}): use the "
            "controller image (job_images/Dockerfile --target controller) or "
            "pip install 'regscan[controller]'",
        ) from exc
    return controller_main()


def _controller_help() -> str:
    """The controller's settings, from its model; a hint where its libraries are missing."""
    try:
        from controller.settings import settings_help
    except ImportError:  # the Job image: no controller extra
        return "Needs the controller image or: pip install 'regscan[controller]'."
    return settings_help()


class _CommandParser(_Parser):
    """A command's parser: -v/-q accepted after the command name too."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        _common(self, argparse.SUPPRESS)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="regscan",
        description="Container-registry vulnerability scanner: inventory, SBOM and scan every "
        "image of a registry.",
    )
    _common(parser, False)
    parser.add_argument("--version", action="version", version=f"regscan {__version__}")
    sub = parser.add_subparsers(
        dest="command", required=True, parser_class=_CommandParser, metavar="COMMAND"
    )

    p = sub.add_parser("discover", help="list a registry and resolve images to platform digests")
    discover.add_options(p)
    p.set_defaults(handler=discover.run_discover)

    p = sub.add_parser("scan", help="discover, SBOM and scan a registry in one process")
    discover.add_discovery_options(p)
    store_options.add_store_options(p, default_dir="./regscan-results")
    scan.add_scan_options(p)
    p.set_defaults(handler=scan.run_scan)

    p = sub.add_parser(
        "filter-tags",
        help="try tag filters on tags you give, without a registry (a dry run)",
        description=filter_tags.__doc__.split("\n\n", 1)[1] if filter_tags.__doc__ else None,
    )
    filter_tags.add_options(p)
    p.set_defaults(handler=filter_tags.run_filter_tags)

    p = sub.add_parser("report", help="print a stored run, or the images of one reference")
    report.add_options(p)
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
    jobs = p.add_subparsers(dest="job", required=True, parser_class=_CommandParser)
    j = jobs.add_parser("scan", help="scan one shard of a run (contract in $REGSCAN_JOB)")
    job_scan.add_options(j)
    _log_format(j)
    j.set_defaults(handler=job_scan.run_job_scan)
    j = jobs.add_parser("discover", help="discover a Registry for a run (contract in $REGSCAN_JOB)")
    job_discover.add_options(j)
    _log_format(j)
    j.set_defaults(handler=job_discover.run_job_discover)
    j = jobs.add_parser("rescan", help="after a DB update: which digests of a run to re-scan")
    job_rescan.add_options(j)
    _log_format(j)
    j.set_defaults(handler=job_rescan.run_job_rescan)

    p = sub.add_parser(
        "controller",
        help="run the Kubernetes controller (settings from REGSCAN_* variables)",
        description=_controller_help(),
    )
    p.set_defaults(handler=_controller)
    return parser


def _setup_logging(args: argparse.Namespace) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if getattr(args, "log_format", "text") == "json":
        handler.setFormatter(JsonLogFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, handlers=[handler])
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.ERROR)  # its retries; ours say the cause


def display_mode(args: argparse.Namespace) -> str:
    """How a command shows progress: quiet, json (pod logs), or auto (rich/text)."""
    if getattr(args, "quiet", False):
        return "quiet"
    return "json" if getattr(args, "log_format", "") == "json" else "auto"


def _error(args: argparse.Namespace, line: str) -> None:
    """The one error line: plain, or a JSON log record with --log-format json."""
    if getattr(args, "log_format", "text") == "json":
        record = logging.LogRecord("regscan", logging.ERROR, "", 0, line, None, None)
        line = JsonLogFormatter().format(record)
    sys.stderr.write(line + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args)
    args.display = display_mode(args)
    handler: Handler = args.handler
    where = " ".join(["regscan", args.command, *([args.job] if args.command == "job" else [])])
    try:
        return handler(args)
    except RegscanError as exc:
        _error(args, f"{where}: error: {exc}")
        if args.verbose:
            traceback.print_exception(exc, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        _error(args, f"{where}: interrupted")
        return 130
    except Exception as exc:
        if args.verbose:
            traceback.print_exception(exc, file=sys.stderr)
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        _error(
            args,
            f"{where}: unexpected error: {type(exc).__name__}: {first} (run with -v for details)",
        )
        return OPERATIONAL
