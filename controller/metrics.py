"""Prometheus metrics and the health endpoints (does I/O: an HTTP server thread).

`/metrics` (Prometheus text), `/healthz` (the loop ran recently), `/readyz`.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from regscan.common.timeutil import parse_time

SEVERITIES = ("critical", "high", "medium", "low", "unknown")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.ticks = Counter("regscan_controller_ticks", "Reconcile ticks run", registry=r)
        self.tick_seconds = Histogram(
            "regscan_controller_tick_duration_seconds", "Time per reconcile tick", registry=r
        )
        self.errors = Counter(
            "regscan_controller_errors",
            "Registries whose reconcile or apply failed",
            ["namespace", "registry"],
            registry=r,
        )
        self.leader = Gauge("regscan_controller_leader", "1 when this replica leads", registry=r)
        self.registries = Gauge("regscan_registries", "Registries watched", registry=r)
        lbl = ["namespace", "registry"]
        self.runs = Counter("regscan_runs", "Scan runs finished", [*lbl, "result"], registry=r)
        self.run_seconds = Gauge(
            "regscan_run_duration_seconds", "Duration of the last scan run", lbl, registry=r
        )
        self.images = Gauge(
            "regscan_images",
            "Images in the last scan run, by outcome",
            [*lbl, "outcome"],
            registry=r,
        )
        self.findings = Gauge(
            "regscan_vulnerabilities",
            "Findings over the images of the last scan run",
            [*lbl, "severity"],
            registry=r,
        )
        self.last_tick = 0.0

    def publish_status(self, namespace: str, name: str, status: dict[str, Any]) -> None:
        last = status.get("lastScan") or {}
        start, end = parse_time(last.get("startTime")), parse_time(last.get("completionTime"))
        if start is not None and end is not None:
            self.run_seconds.labels(namespace, name).set((end - start).total_seconds())
        for outcome in ("scanned", "reused", "failed"):
            self.images.labels(namespace, name, outcome).set(int(last.get(outcome) or 0))
        vulns = status.get("vulnerabilities") or {}
        for sev in SEVERITIES:
            self.findings.labels(namespace, name, sev).set(int(vulns.get(sev) or 0))

    def forget(self, namespace: str, name: str) -> None:
        """A deleted Registry's series go with it."""
        for metric in (self.images, self.findings, self.run_seconds, self.runs, self.errors):
            for labels in list(metric._metrics):
                if labels[:2] == (namespace, name):
                    metric.remove(*labels)

    def serve(self, port: int, healthy_within: float) -> ThreadingHTTPServer:
        metrics = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.startswith("/metrics"):
                    self._send(200, generate_latest(metrics.registry), CONTENT_TYPE_LATEST)
                elif self.path.startswith("/healthz"):
                    ok = time.monotonic() - metrics.last_tick < healthy_within
                    self._send(200 if ok else 503, b"ok\n" if ok else b"loop stalled\n")
                elif self.path.startswith("/readyz"):
                    self._send(200, b"ok\n")
                else:
                    self._send(404, b"not found\n")

            def _send(self, code: int, body: bytes, ctype: str = "text/plain") -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
        threading.Thread(target=server.serve_forever, daemon=True, name="metrics").start()
        return server
