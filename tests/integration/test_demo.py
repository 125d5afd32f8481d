"""`make demo`'s script against the real registry binary and Trivy: it leaves results and
a running registry, a second run reuses both, `--stop` stops it (python -m tests.bench.demo)."""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

import pytest

from regscan.cli.main import main as regscan_main
from regscan.common.reports import RunIndex
from tests.bench import demo


def test_demo_leaves_results_and_registry_until_stopped(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    trivy_bin: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", f"{Path(trivy_bin).parent}{os.pathsep}{os.environ['PATH']}")
    state = tmp_path / "state"
    try:
        assert demo.main(["--state", str(state)]) == 0
        first = capsys.readouterr().out
        assert [line[:5] for line in first.splitlines() if line.startswith("[")] == [
            "[2/5]",
            "[3/5]",
            "[4/5]",
            "[5/5]",
        ]
        assert "started at http://127.0.0.1:" in first and "written to" in first
        found = demo.running_registry(state)
        assert found is not None  # left running for the user
        index = RunIndex.model_validate_json(
            (tmp_path / "regscan-results/runs/latest.json").read_bytes()
        )
        assert index.scanned == 6 and index.failed == 0
        for command in (
            " report regscan-results --image samples/alpine:3.18",
            "--fail-on high",
            " filter-tags --tag-filter 'isSemver(tag, true)' -- 3.18",
            "make demo-stop",
        ):
            assert command in first
        suggested = next(line for line in first.splitlines() if " filter-tags " in line)
        assert regscan_main(shlex.split(suggested.split("#")[0])[1:]) == 0  # it runs as shown
        kept = json.loads(capsys.readouterr().out)["kept"]
        assert kept == ["3.18", "3.19"]

        assert demo.main(["--state", str(state)]) == 0
        second = capsys.readouterr().out
        assert f"already running at {found[1]}" in second and "DB: already in" in second
        index = RunIndex.model_validate_json(
            (tmp_path / "regscan-results/runs/latest.json").read_bytes()
        )
        assert index.reused == 6 and index.scanned == 0
    finally:
        assert demo.main(["--state", str(state), "--stop"]) == 0
    assert "stopped" in capsys.readouterr().out
    assert demo.running_registry(state) is None
    assert demo.main(["--state", str(state), "--stop"]) == 0
    assert "not running" in capsys.readouterr().out
