"""The API server launcher's `stop` (tests/bench/apiserver.py): SIGTERM, a wait, then SIGKILL;
it never raises. Real processes; in the unit tier so it runs where envtest skips."""

from __future__ import annotations

import subprocess
import time

from tests.bench.apiserver import stop


def test_stop_kills_a_process_that_ignores_sigterm() -> None:
    proc = subprocess.Popen(
        ["sh", "-c", "trap '' TERM; echo ready; sleep 60"], stdout=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    started = time.monotonic()
    stop(proc, grace=0.5)
    assert proc.returncode == -9  # SIGKILL after the grace period
    assert time.monotonic() - started < 10


def test_stop_leaves_a_terminated_process_and_an_exited_one_alone() -> None:
    proc = subprocess.Popen(["sleep", "60"])
    stop(proc, grace=5)
    assert proc.returncode == -15  # SIGTERM was enough
    stop(proc)  # already gone: no error
    assert proc.returncode == -15
