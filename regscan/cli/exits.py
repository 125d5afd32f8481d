"""Exit codes of every regscan command and the help formatter that shows defaults (pure).

0 ok; 1 operational failure (unreachable, refused, every image failed); 2 invalid input
(nothing was done); 3 the policy failed for an image; 4 partial: some repositories,
tags or images failed while others were done (the run is marked `partial`).
"""

from __future__ import annotations

import argparse

OK = 0
OPERATIONAL = 1
INVALID_INPUT = 2
POLICY_FAILED = 3
PARTIAL = 4

EPILOG = """exit codes:
  0  ok
  1  operational failure (unreachable, refused, 401 ..., or nothing could be done)
  2  invalid input (nothing was done)
  3  policy failed (takes precedence over 4)
  4  partial: some repositories, tags or images failed, the rest was done"""


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Appends `(default: X)` to every option whose default says something."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            "default" in text
            or default in (None, False, [], "", argparse.SUPPRESS)
            or not action.option_strings
            or isinstance(action, argparse._VersionAction | argparse._HelpAction)
        ):
            return text
        return f"{text} (default: %(default)s)"
