"""The controller's composition root (does I/O): settings → adapters → the poll loop.

`python -m controller` and `regscan controller` both call `cli()`.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import socket
import sys
import threading
from types import FrameType

from controller.leader import LeaderElector
from controller.loop import Controller, run_forever
from controller.metrics import Metrics
from controller.settings import settings_help
from controller.startup import kube_client, load_settings, s3_store, serve_metrics
from regscan.common.errors import RegscanError

log = logging.getLogger("regscan.controller")


def main() -> int:
    settings = load_settings()
    metrics = Metrics()
    serve_metrics(metrics, settings)  # first: a taken port is found at once
    kube = kube_client(settings)
    store = s3_store(settings)
    identity = os.environ.get("POD_NAME") or f"{socket.gethostname()}-{secrets.token_hex(3)}"
    elector = LeaderElector(kube, settings.namespace, identity, settings.lease_seconds)
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    scope = settings.watch_namespaces or "all namespaces"
    log.info("regscan controller %s: watching %s, jobs in %s", identity, scope, settings.namespace)
    run_forever(Controller(kube, store, settings, metrics), elector, stop)
    return 0


def cli(argv: list[str] | None = None) -> int:
    """`python -m controller [--help]`: parse the (settings-only) command line, then run."""
    parser = argparse.ArgumentParser(
        prog="python -m controller",
        description=settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logs, tracebacks")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return main()
    except RegscanError as exc:
        sys.stderr.write(f"regscan controller: error: {exc}\n")
        return exc.exit_code
    except Exception as exc:
        if args.verbose:
            log.exception("unexpected error")
        sys.stderr.write(
            f"regscan controller: unexpected error: {type(exc).__name__}: "
            f"{str(exc).strip()[:300]} (run with -v for details)\n"
        )
        return 1
