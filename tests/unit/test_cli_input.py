"""Bad input on the command line: argv -> exit code -> one-line message, never a traceback.

Nothing listens on the registry port used here, so a case that made a request would
fail with exit 1 and "connection refused" instead of the expected exit 2.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from regscan.cli.main import main


def _dead_registry() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


DEAD = _dead_registry()


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "not-json.txt").write_text("hello\n")
    (tmp_path / "run-index.json").write_text(json.dumps({"runId": "r", "startedAt": "x"}))
    (tmp_path / "bad-discovery.json").write_text(json.dumps({"images": [{}], "manifests": {}}))
    (tmp_path / "a-file").write_text("")
    return {
        "NOT_JSON": str(tmp_path / "not-json.txt"),
        "RUN_INDEX": str(tmp_path / "run-index.json"),
        "BAD_DISCOVERY": str(tmp_path / "bad-discovery.json"),
        "UNDER_FILE": str(tmp_path / "a-file" / "out.json"),
        "MISSING_DIR": str(tmp_path / "missing" / "out.json"),
        "A_DIR": str(tmp_path),
        "UNDER_FILE_DIR": str(tmp_path / "a-file" / "results"),
    }


D = ["discover", "--registry", DEAD]
S = ["scan", "--registry", DEAD, "--output-dir", "{A_DIR}/out"]

BAD_INPUT = [
    # registry URLs
    (["discover", "--registry", "http://"], 2, "registry: 'http://' names no host"),
    (["discover", "--registry", "http://127.0.0.1:99999"], 2, "port must be 1-65535"),
    (["discover", "--registry", "ftp://x"], 2, "registry: 'ftp://x' is not an http(s)"),
    (["discover", "--registry", "https://h/some/path"], 2, "must be scheme://host[:port]"),
    (["discover", "--registry", "http://["], 2, "registry: 'http://[' is not a URL (Invalid IPv6"),
    # numbers and their ranges
    ([*D, "--timeout", "-5"], 2, "timeout: must be > 0"),
    ([*D, "--timeout", "0"], 2, "timeout: must be > 0"),
    ([*D, "--retries", "-1"], 2, "retries: must be between 0 and 100"),
    ([*D, "--max-tags", "0"], 2, "max-tags: must be >= 1"),
    ([*D, "--concurrency", "0"], 2, "concurrency: must be between 1 and 256"),
    ([*D, "--timeout", "abc"], 2, "invalid float value: 'abc'"),
    ([*S, "--scan-timeout", "0"], 2, "scan-timeout: must be > 0"),
    ([*S, "--scan-timeout", "-1"], 2, "scan-timeout: must be > 0"),
    ([*S, "--grace-days", "-3"], 2, "grace-days: must be >= 0"),
    ([*S, "--parallel", "0"], 2, "parallel: must be between 1 and 64"),
    ([*S, "--fail-on", "severe"], 2, "fail-on: 'severe' is not one of"),
    ([*S, "--allow", "CVE-1:2026-13-45"], 2, "allow: 'CVE-1:2026-13-45': expiry"),
    ([*S, "--skip-db-update"], 2, "skip-db-update: needs --cache-dir"),
    # output paths, checked before any request
    ([*D, "-o", "{MISSING_DIR}"], 2, "output: folder"),
    ([*D, "-o", "{UNDER_FILE}"], 2, "does not exist"),
    ([*D, "-o", "{A_DIR}"], 2, "is a directory"),
    (["scan", "--registry", DEAD, "--output-dir", "{UNDER_FILE_DIR}"], 2, "is not a directory"),
    # S3 settings
    ([*S, "--s3-endpoint", "http://127.0.0.1:1", "--s3-bucket", "Bad_Bucket"], 2, "s3-bucket:"),
    ([*S, "--s3-endpoint", "http://127.0.0.1:1", "--s3-bucket", "ab"], 2, "not a bucket name"),
    ([*S, "--s3-endpoint", "http://127.0.0.1:1", "--s3-bucket", "1.2.3.4"], 2, "IP address"),
    ([*S, "--s3-endpoint", "http://127.0.0.1:1"], 2, "s3-bucket: is required"),
    ([*S, "--s3-endpoint", "not a url", "--s3-bucket", "abc"], 2, "s3-endpoint:"),
    # --previous of the wrong kind
    ([*D, "--previous", "{NOT_JSON}"], 2, "previous: {NOT_JSON} is not JSON"),
    ([*D, "--previous", "{RUN_INDEX}"], 2, "is not a `regscan discover` output"),
    ([*D, "--previous", "{BAD_DISCOVERY}"], 2, "is not a valid discovery result"),
    ([*D, "--previous", "{A_DIR}/nope.json"], 2, "does not exist"),
    # argparse
    (["discover"], 2, "the following arguments are required: --registry"),
    (["frobnicate"], 2, "invalid choice: 'frobnicate'"),
    (["report", "s3://Bad_Bucket/x", "--s3-endpoint", "http://127.0.0.1:1"], 2, "location:"),
]


@pytest.mark.parametrize(("argv", "code", "fragment"), BAD_INPUT)
def test_bad_input_exit_code_and_one_line(
    argv: list[str],
    code: int,
    fragment: str,
    files: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "k")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    argv = [a.format(**files) for a in argv]
    got, err = _run(argv, capsys)
    assert got == code, err
    assert fragment.format(**files) in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) <= 2, err  # argparse: usage + one line


def test_expired_allow_entry_is_warned_about(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    code, err = _run(
        ["scan", "--registry", DEAD, "--output-dir", str(tmp_path), "--retries", "0",
         "--allow", "CVE-2020-1:2020-01-01", "--scanner", "harbor"],
        capsys,
    )  # fmt: skip
    assert "--allow CVE-2020-1 expired on 2020-01-01" in caplog.text
    assert code == 2 and "Traceback" not in err


def test_unexpected_error_is_one_line_and_v_shows_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from regscan.cli import discover

    def boom(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("something broke\nsecond line")

    monkeypatch.setattr(discover, "discover", boom)
    code, err = _run([*D, "-q"], capsys)
    assert code == 1
    assert err.strip() == (
        "regscan discover: unexpected error: ZeroDivisionError: something broke "
        "(run with -v for details)"
    )
    code, err = _run([*D, "-q", "-v"], capsys)
    assert code == 1 and "Traceback" in err and "ZeroDivisionError" in err


@pytest.mark.parametrize(
    ("argv", "env", "fragment"),
    [
        (["job", "scan", "--shard", "0"], {}, "REGSCAN_JOB"),
        (["job", "discover", "--run", "r1"], {}, "REGSCAN_JOB"),
        (["job", "scan", "--shard", "x"], {}, "invalid int value"),
        (["job", "scan", "--scan-timeout", "0", "--shard", "0"], {}, "scan-timeout: must be > 0"),
    ],
)
def test_job_errors_are_json_lines_in_a_pod(
    argv: list[str],
    env: dict[str, str],
    fragment: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("REGSCAN_JOB", raising=False)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")  # inside a pod: json by default
    code, err = _run(argv, capsys)
    assert code == 2 and fragment in err and "Traceback" not in err
    if "invalid int" not in fragment:  # argparse's own usage errors stay plain
        record = json.loads(err.strip())
        assert record["level"] == "error" and fragment in record["message"]
    code, err = _run([*argv, "--log-format", "text"], capsys)
    assert code == 2 and err.startswith(f"regscan job {argv[1]}: error:")
