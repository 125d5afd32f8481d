"""`regscan controller` start-up failures: one line naming the setting, no traceback.

A taken metrics port (a second controller on the same host) is checked with both
entry points as real subprocesses; the other failures as a table through `main()`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from regscan.cli.main import main
from tests.bench.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
"""


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


@pytest.mark.parametrize("argv", [["-m", "regscan", "controller"], ["-m", "controller"]])
def test_a_taken_metrics_port_is_one_line_naming_the_setting(
    argv: list[str], taken_port: int, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "REGSCAN_METRICS_PORT": str(taken_port),
        "REGSCAN_KUBECONFIG": str(tmp_path / "not-read-before-the-port"),
    }
    done = subprocess.run(
        [sys.executable, *argv], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"cannot serve metrics on 0.0.0.0:{taken_port}: address already in use" in done.stderr
    assert "set REGSCAN_METRICS_PORT to a free port, or 0 to turn metrics off" in done.stderr


CASES = [
    # (environment, exit code, what the line says)
    ({"REGSCAN_METRICS_PORT": "70000"}, 2, "REGSCAN_METRICS_PORT: Input should be less than"),
    ({"REGSCAN_METRICS_PORT": "http"}, 2, "REGSCAN_METRICS_PORT: Input should be a valid integer"),
    ({"REGSCAN_POLL_SECONDS": "0"}, 2, "REGSCAN_POLL_SECONDS: Input should be greater than 0"),
    ({"REGSCAN_LEASE_SECONDS": "-1"}, 2, "REGSCAN_LEASE_SECONDS: Input should be greater than"),
    (
        {"REGSCAN_KUBECONFIG": "{tmp}/missing"},
        1,
        "no usable Kubernetes configuration (REGSCAN_KUBECONFIG={tmp}/missing): {tmp}/missing: "
        "no such file; set REGSCAN_KUBECONFIG to a kubeconfig file, or run in a cluster",
    ),
    (
        {"REGSCAN_KUBECONFIG": "{tmp}/garbage"},
        1,
        "no usable Kubernetes configuration (REGSCAN_KUBECONFIG={tmp}/garbage)",
    ),
    (
        {"REGSCAN_KUBECONFIG": "", "KUBECONFIG": "{tmp}/missing"},
        1,
        "no usable Kubernetes configuration (in-cluster service account, $KUBECONFIG or "
        "~/.kube/config)",
    ),
    (
        {"REGSCAN_KUBECONFIG": "{tmp}/kubeconfig", "AWS_ACCESS_KEY_ID": ""},
        2,
        "REGSCAN_S3_ENDPOINT: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
    ),
    (
        {
            "REGSCAN_KUBECONFIG": "{tmp}/kubeconfig",
            "REGSCAN_S3_ENDPOINT": "http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "k",
            "AWS_SECRET_ACCESS_KEY": "s",
        },
        1,
        "s3 http://127.0.0.1:{port} bucket regscan: unreachable",
    ),
]


@pytest.mark.parametrize(("env", "code", "says"), CASES)
def test_start_up_failures_are_one_line_naming_the_setting(
    env: dict[str, str],
    code: int,
    says: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "kubeconfig").write_text(KUBECONFIG)
    (tmp_path / "garbage").write_text("clusters: [this is: not a kubeconfig\n")
    port = str(free_port())
    fill = {"{tmp}": str(tmp_path), "{port}": port}
    for key in [k for k in os.environ if k.startswith(("REGSCAN_", "AWS_", "MINIO_"))]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("REGSCAN_METRICS_PORT", "0")
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    for key, value in env.items():
        for mark, text in fill.items():
            value = value.replace(mark, text)
        monkeypatch.setenv(key, value)
    for mark, text in fill.items():
        says = says.replace(mark, text)
    assert main(["controller"]) == code
    err = capsys.readouterr().err
    assert err.startswith("regscan controller: error: ") and err.count("\n") == 1, err
    assert says in err and "Traceback" not in err
