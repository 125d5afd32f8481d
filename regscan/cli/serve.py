"""`regscan serve`: the Harbor Scanner Adapter API v1.2 over regscan's scanner and store
(does I/O: opens the store, prepares the scanner, runs uvicorn).

The token comes from `REGSCAN_API_TOKEN` (never argv). Scan jobs live in memory; after a
restart an old id answers 404 and Harbor sends the scan again — the store answers it at
once when its report is current.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass

from job_images.scanning.adapters import open_adapter
from job_images.scanning.policy import Policy
from job_images.scanning.scanner import ScannerOptions
from regscan.cli.scan import add_trivy_options, trivy_settings
from regscan.cli.store_options import StoreOptions, add_store_options
from regscan.common.errors import InvalidInput, OperationalError

TOKEN_ENV = "REGSCAN_API_TOKEN"


def add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--listen", default="127.0.0.1:8080", metavar="HOST:PORT",
                   help="where the Harbor Scanner Adapter API listens")  # fmt: skip
    add_store_options(p, default_dir="./regscan-results")
    add_trivy_options(p)
    p.add_argument("--workers", type=int, default=2, help="scans at once (default 2)")
    p.add_argument("--queue-limit", type=int, default=100, help="scans waiting before 429")
    p.add_argument("--scan-timeout", type=float, default=300.0, metavar="SECONDS",
                   help="per scan, then the scan fails")  # fmt: skip
    p.add_argument(
        "--refresh-after",
        type=int,
        default=5,
        metavar="SECONDS",
        help="Refresh-After of a 302 while a scan runs (default 5)",
    )
    p.add_argument("--ca-file", metavar="PEM", help="CA bundle for the scanned registries")
    p.add_argument("--insecure", action="store_true", help="skip registry TLS verification")
    token = f"The API token is read from ${TOKEN_ENV}; unset means no authentication."
    p.epilog = f"{p.epilog or ''}\n\n{token}"


@dataclass(frozen=True)
class ServeOptions:
    host: str
    port: int
    store: StoreOptions
    scanner: ScannerOptions
    queue_limit: int
    refresh_after: int
    token: str | None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ServeOptions:
        host, sep, port = str(args.listen).rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
            raise InvalidInput("listen", f"{args.listen!r} is not HOST:PORT")
        if not 1 <= args.workers <= 64:
            raise InvalidInput("workers", "must be between 1 and 64")
        if args.queue_limit < 1:
            raise InvalidInput("queue-limit", "must be at least 1")
        if args.refresh_after < 1:
            raise InvalidInput("refresh-after", "must be at least 1 second")
        if args.scan_timeout <= 0:
            raise InvalidInput("scan-timeout", "must be > 0")
        scanner = ScannerOptions(
            **trivy_settings(args),
            parallel=args.workers,
            timeout=args.scan_timeout,
            ca_file=args.ca_file,
            insecure=args.insecure,
            long_lived=True,
        )
        token = os.environ.get(TOKEN_ENV) or None
        store = StoreOptions.from_args(args)
        return cls(host, int(port), store, scanner, args.queue_limit, args.refresh_after, token)


def run_serve(args: argparse.Namespace) -> int:
    options = ServeOptions.from_args(args)  # all validation before any work
    try:
        import uvicorn

        from regscan.serve.app import create_app
        from regscan.serve.worker import ScanQueue
    except ImportError as exc:
        raise OperationalError(f"regscan serve needs pip install 'regscan[serve]' ({exc})") from exc
    store = options.store.open()
    adapter = open_adapter(options.scanner, store, Policy())
    adapter.prepare()  # the DB once, before the first request
    queue = ScanQueue(adapter, store, options.scanner.parallel, options.queue_limit)
    app = create_app(queue, options.token, options.refresh_after)
    if not options.token:
        sys.stderr.write(f"regscan serve: warning: ${TOKEN_ENV} is not set: no authentication\n")
    sys.stderr.write(f"regscan serve: listening on http://{options.host}:{options.port}/api/v1\n")
    try:
        uvicorn.run(app, host=options.host, port=options.port, log_level="warning")
    finally:
        queue.close()
    return 0
