"""Help that teaches: every option explained with its default, exit codes, --version, and
the controller's REGSCAN_* settings generated from its settings model."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.settings import PREFIX, Settings
from regscan import __version__
from regscan.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[2]


def _commands(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _commands(sub)


COMMANDS = {p.prog: p for p in _commands(build_parser())}


@pytest.mark.parametrize("prog", sorted(COMMANDS))
def test_every_option_has_help_and_its_default(prog: str) -> None:
    parser = COMMANDS[prog]
    text = parser.format_help()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) or action.help == argparse.SUPPRESS:
            continue
        assert action.help, f"{prog} {action.option_strings or action.dest} has no help"
        shown = action.default not in (None, False, [], "", argparse.SUPPRESS)
        if action.option_strings and shown and not isinstance(action, argparse._VersionAction):
            help_line = parser._get_formatter()._expand_help(action)
            assert "default" in help_line, f"{prog} {action.option_strings}: no default shown"
    assert "exit codes:\n  0  ok\n  1  operational failure" in text and "4  partial" in text


def test_scan_help_shows_defaults() -> None:
    text = COMMANDS["regscan scan"].format_help()
    for fragment in ("(default: 8)", "(default: 30.0)", "(default: 300.0)", "(default: 7.0)"):
        assert fragment in " ".join(text.split())


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"regscan {__version__}"


@pytest.mark.parametrize(
    "argv", [["-m", "controller", "--help"], ["-m", "regscan", "controller", "--help"]]
)
def test_controller_help_lists_every_setting(argv: list[str]) -> None:
    out = subprocess.run(
        [sys.executable, *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "KUBECONFIG": "/nonexistent"},
    )
    assert out.returncode == 0, out.stderr
    assert "kubeconfig" in out.stdout
    for name, field in Settings.model_fields.items():
        line = next(ln for ln in out.stdout.splitlines() if f"{PREFIX}{name.upper()} " in ln)
        default = "unset" if field.default is None else str(field.default)
        assert default in line or field.default == "", line
        assert field.description and field.description.split()[0] in out.stdout
