"""Wrap the real trivy binary with injected faults (crash, hang, slow), or record how it
is called, for tests (file I/O).

The wrapper is a shell script whose settings are baked in, because the adapter
passes only a fixed allow-list of environment variables to trivy.
"""

from __future__ import annotations

import shlex
from pathlib import Path


def write_wrapper(path: Path, real_trivy: str, mode: str, match: str = "", delay: float = 0) -> str:
    """mode: 'crash' (SIGSEGV), 'hang' (sleep 600) or 'slow' (sleep `delay` on `trivy image`),
    applied when an argument contains `match` (empty: every call)."""
    script = f"""#!/bin/sh
hit=0
for a in "$@"; do
  case "$a" in *{shlex.quote(match)[1:-1] if match else ""}*) hit=1 ;; esac
done
if [ "$hit" = 1 ] && [ "$1" = image ] && [ "$2" != --download-db-only ]; then
  case {mode} in
    crash) kill -SEGV $$ ;;
    hang) sleep 600 ;;
    slow) sleep {delay} ;;
  esac
fi
exec {shlex.quote(real_trivy)} "$@"
"""
    path.write_text(script)
    path.chmod(0o755)
    return str(path)


def write_recorder(path: Path, real_trivy: str, log: Path) -> str:
    """A wrapper that appends each call's arguments (`arg <value>` lines) and environment
    (`env NAME=value` lines) to `log`, then runs the real trivy: what a secret must never
    be part of."""
    q = shlex.quote(str(log))
    script = f"""#!/bin/sh
for a in "$@"; do printf 'arg %s\\n' "$a" >> {q}; done
env | sed 's/^/env /' >> {q}
exec {shlex.quote(real_trivy)} "$@"
"""
    path.write_text(script)
    path.chmod(0o755)
    return str(path)
