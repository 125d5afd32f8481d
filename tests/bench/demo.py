"""`make demo`: a throwaway registry with sample images, scanned end to end (does I/O).

Starts a local registry, pushes the sample catalog and a fixture vulnerability
DB, runs `regscan` against it as a user would, prints the result, cleans up.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.bench.catalog import fixture_db, push_samples
from tests.bench.images import Pusher
from tests.bench.servers import ToolMissing, require, start_registry
from tests.bench.trivydb import write_db


def scan_args(url: str, out: Path, cache: Path, *extra: str) -> list[str]:
    """`regscan scan` against `url` into folder `out`, with the prepared fixture DB `cache`."""
    return [
        "scan",
        "--registry",
        url,
        "--output-dir",
        str(out),
        "--cache-dir",
        str(cache),
        "--skip-db-update",
        *extra,
    ]


def _run(argv: list[str]) -> int:
    print("$ " + " ".join(argv), flush=True)
    return subprocess.run(argv).returncode


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="regscan-demo-"))
    try:
        registry = start_registry(work / "registry")
    except ToolMissing as exc:
        print(f"demo needs a local registry: {exc}", file=sys.stderr)
        return 1
    try:
        pusher = Pusher(registry.url)
        push_samples(pusher)
        pusher.close()
        cache = work / "trivy-cache"
        write_db(fixture_db(), cache)
        print(f"sample registry at {registry.url}; fixture vulnerability DB in {cache}\n")
        regscan = require("regscan", "pip install -e .")
        return _demo_commands(regscan, registry.url, cache, work)
    finally:
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)


def _demo_commands(regscan: str, url: str, cache: Path, work: Path) -> int:
    out = work / "results"
    rc = _run([regscan, *scan_args(url, out, cache, "--parallel", "4")])
    if rc != 0:
        return rc
    print()
    rc = _run([regscan, "report", str(out), "--image", "samples/debian:12"])
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.json"))
    print(f"\n{len(files)} objects were written, e.g.:")
    for name in [f for f in files if f.startswith(("runs/", "reports/"))][:4]:
        print(f"  {name}")
    print("(the demo's folder is removed now; `regscan scan` defaults to ./regscan-results)")
    return rc


if __name__ == "__main__":
    sys.exit(main())
