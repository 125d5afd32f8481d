"""One `trivy server` per scan run (does I/O: a subprocess on a loopback port).

With it, the run's `trivy image` and `trivy sbom` calls are clients: the DB is opened once,
and layers analysed once are kept in the server's cache, so a base layer shared by many
digests is pulled and analysed once instead of once per digest (benchmarks/scan.py). If
the server does not start, the scanner falls back to one process per call.
"""

from __future__ import annotations

import atexit
import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from typing import IO

from job_images.scanning.adapters.base import AdapterError
from job_images.scanning.adapters.trivy_replay import CaptureProxy

log = logging.getLogger("regscan.scan")


def _with_parent_death(argv: list[str]) -> tuple[list[str], Callable[[], None] | None]:
    """argv and fork hook so that the server gets SIGTERM when regscan dies, even by SIGKILL
    (PR_SET_PDEATHSIG: no orphaned server). The signal follows the *thread* that starts the
    child, so only the main thread asks for it; util-linux `setpriv` sets it without a fork
    hook, else a hook does, only while no other thread could hold a lock."""
    if threading.current_thread() is not threading.main_thread():
        return argv, None
    setpriv = shutil.which("setpriv")
    if setpriv:
        return [setpriv, "--pdeathsig", "TERM", "--", *argv], None
    if threading.active_count() > 1 or not sys.platform.startswith("linux"):
        return argv, None
    libc = ctypes.CDLL(None, use_errno=True)

    def hook() -> None:
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG

    return argv, hook


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_RUNNING: set[TrivyServer] = set()


def stop_all() -> None:
    """Stop every server this process started (at exit; tests between cases)."""
    for server in list(_RUNNING):
        server.stop()


atexit.register(stop_all)


class TrivyServer:
    """`trivy server` on 127.0.0.1, started by `launch`, ready after
    `wait_ready`, ended by `stop` (idempotent).

    Its cache folder is its own temporary one, holding a link to the prepared DB (Trivy
    locks its layer cache file while it runs: a shared folder would make a second run wait
    for the first). A run's server keeps its layer cache in memory (`--cache-backend
    memory`: no fsync per stored blob); Trivy never evicts it, so a long-lived one
    (`regscan serve`) keeps it in that folder instead (`in_memory=False`).
    """

    def __init__(
        self, trivy: str, db_cache_dir: str, env: dict[str, str], in_memory: bool = True
    ) -> None:
        self.trivy, self.db_cache_dir, self.env = trivy, db_cache_dir, env
        self.backend = "memory" if in_memory else "fs"
        self.url: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._home: str | None = None
        self._log: IO[bytes] | None = None
        self._port = 0
        self._capture: CaptureProxy | None = None
        self._no_capture = False
        self._capture_lock = threading.Lock()

    def launch(self) -> None:
        """Start the process and return at once (`wait_ready` waits for its port): a run
        that reuses every report never waits for a server it does not use."""
        self._port = _free_port()
        self._home = tempfile.mkdtemp(prefix="regscan-trivy-server-")
        os.symlink(os.path.abspath(os.path.join(self.db_cache_dir, "db")),
                   os.path.join(self._home, "db"))  # fmt: skip
        argv = [self.trivy, "server", "--listen", f"127.0.0.1:{self._port}",
                "--cache-dir", self._home, "--skip-db-update",
                "--cache-backend", self.backend]  # fmt: skip
        _RUNNING.add(self)
        # stderr to a file, not a pipe: an unread pipe would block a chatty server
        self._log = tempfile.TemporaryFile()  # noqa: SIM115  # closed by stop()
        argv, hook = _with_parent_death(argv)
        self._proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._log,
            env=self.env, preexec_fn=hook,
        )  # fmt: skip

    def wait_ready(self, wait: float = 30.0) -> str:
        """The server's URL once it listens; AdapterError if it exits or stays silent."""
        if self.url is not None:
            return self.url
        deadline = time.monotonic() + wait
        while self._proc is not None and time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._proc = None
                raise AdapterError("trivy server exited at start", self._tail(), "ScannerFailed")
            try:
                socket.create_connection(("127.0.0.1", self._port), timeout=0.5).close()
            except OSError:
                time.sleep(0.02)
                continue
            self.url = f"http://127.0.0.1:{self._port}"
            log.info("trivy server on %s (DB and layer cache shared by this run)", self.url)
            return self.url
        self.stop()
        raise AdapterError(f"trivy server did not listen within {wait:.0f}s", "", "Timeout")

    def capture(self, timeout: float) -> CaptureProxy | None:
        """The proxy that keeps what `trivy sbom` clients send (made at first use); None
        before the server listens."""
        with self._capture_lock:
            if self._capture is None and self.url is not None and not self._no_capture:
                try:
                    self._capture = CaptureProxy(self.url, timeout)
                except OSError as exc:  # scans go on, without memos
                    log.warning("no scan memos this run: capture proxy: %s", exc)
                    self._no_capture = True
            return self._capture

    def _tail(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read()[-1000:].decode(errors="replace")

    def stop(self) -> None:
        proc, self._proc, self.url = self._proc, None, None
        _RUNNING.discard(self)
        with self._capture_lock:
            capture, self._capture = self._capture, None
        if capture is not None:
            capture.stop()
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)
            self._home = None
