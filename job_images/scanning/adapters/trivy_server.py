"""One `trivy server` per scan run (does I/O: a subprocess on a loopback port).

With it, the run's `trivy image` and `trivy sbom` calls are clients: the DB is opened once,
and layers analysed once are kept in the server's cache, so a base layer shared by many
digests is pulled and analysed once instead of once per digest (benchmarks/scan.py). If
the server does not start, the scanner falls back to one process per call.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import tempfile
import time
from typing import IO

from job_images.scanning.adapters.base import AdapterError

log = logging.getLogger("regscan.scan")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TrivyServer:
    """`trivy server` on 127.0.0.1, started by `start`, ended by `stop` (idempotent)."""

    def __init__(self, trivy: str, cache_dir: str, env: dict[str, str]) -> None:
        self.trivy, self.cache_dir, self.env = trivy, cache_dir, env
        self.url: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self, wait: float = 30.0) -> str:
        port = _free_port()
        argv = [self.trivy, "server", "--listen", f"127.0.0.1:{port}",
                "--cache-dir", self.cache_dir, "--skip-db-update"]  # fmt: skip
        # stderr to a file, not a pipe: an unread pipe would block a chatty server
        self._log = tempfile.TemporaryFile()  # noqa: SIM115  # closed by stop()
        self._proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._log,
            env=self.env,
        )  # fmt: skip
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._proc = None
                raise AdapterError("trivy server exited at start", self._tail(), "ScannerFailed")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            except OSError:
                time.sleep(0.1)
                continue
            self.url = f"http://127.0.0.1:{port}"
            log.info("trivy server on %s (DB and layer cache shared by this run)", self.url)
            return self.url
        self.stop()
        raise AdapterError(f"trivy server did not listen within {wait:.0f}s", "", "Timeout")

    def _tail(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read()[-1000:].decode(errors="replace")

    def stop(self) -> None:
        proc, self._proc, self.url = self._proc, None, None
        if self._log is not None:
            self._log.close()
            self._log = None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
