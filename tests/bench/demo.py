"""`make demo` / `make demo-stop`: a local sample registry scanned end to end (does I/O).

Starts a local registry (left running, in its own session, until `make demo-stop`),
pushes the sample catalog, writes a fixture vulnerability DB, runs `regscan scan` as a
user would into ./regscan-results (left there), then prints three commands to try next.
A second run reuses the running registry, the DB and the stored reports, so it is quick.
State (registry data, pid, URL, DB) lives in the `--state` folder (.regscan-demo).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.bench.catalog import fixture_db, push_samples
from tests.bench.pusher import Pusher
from tests.bench.servers import ToolMissing, require, start_registry
from tests.bench.trivydb import write_db

RESULTS = Path("regscan-results")


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


def step(n: int, text: str) -> None:
    print(f"[{n}/5] {text}", flush=True)


def _alive(pid: int) -> bool:
    """`pid` is a docker-registry this demo started (not a recycled pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"docker-registry" in cmdline


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/v2/", timeout=2, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


def running_registry(state: Path) -> tuple[int, str] | None:
    """(pid, url) of the demo registry a previous run left running, if it still answers."""
    try:
        info = json.loads((state / "registry.json").read_text())
        pid, url = int(info["pid"]), str(info["url"])
    except (OSError, ValueError, KeyError):
        return None
    return (pid, url) if _alive(pid) and _answers(url) else None


def ensure_registry(state: Path) -> str:
    found = running_registry(state)
    if found:
        step(2, f"sample registry: already running at {found[1]} (pid {found[0]})")
        return found[1]
    reg = start_registry(state / "registry", data_dir=state / "registry" / "data", detach=True)
    (state / "registry.json").write_text(json.dumps({"pid": reg.proc.pid, "url": reg.url}))
    step(2, f"sample registry: started at {reg.url} (pid {reg.proc.pid}, data in {state})")
    return reg.url


def stop(state: Path) -> int:
    found = running_registry(state)
    info = state / "registry.json"
    if found is None:
        info.unlink(missing_ok=True)
        print("demo registry: not running")
        return 0
    os.kill(found[0], signal.SIGTERM)
    info.unlink(missing_ok=True)
    print(f"demo registry: stopped (pid {found[0]}); results stay in {RESULTS}/")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.bench.demo")
    p.add_argument("--state", type=Path, default=Path(".regscan-demo"))
    p.add_argument("--stop", action="store_true", help="stop the demo registry")
    args = p.parse_args(argv)
    state: Path = args.state
    if args.stop:
        return stop(state)
    state.mkdir(parents=True, exist_ok=True)
    try:
        url = ensure_registry(state)
        regscan = require("regscan", "pip install -e '.[trivy]'")
    except ToolMissing as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    pusher = Pusher(url)
    try:
        push_samples(pusher)
    finally:
        pusher.close()
    step(
        3,
        "sample images: samples/alpine (3 platforms), samples/debian (2), samples/python,"
        " mirror/alpine",
    )
    cache = state / "trivy-cache"
    if (cache / "db" / "trivy.db").is_file():
        step(4, f"fixture vulnerability DB: already in {cache}")
    else:
        write_db(fixture_db(), cache)
        step(4, f"fixture vulnerability DB: written to {cache} (planted CVE-2099-* advisories)")
    argv_scan = [regscan, *scan_args(url, RESULTS, cache, "--parallel", "4")]
    step(5, f"scanning: {_shown(argv_scan)}")
    rc = subprocess.run(argv_scan).returncode
    if rc not in (0, 3):
        return rc
    print(next_steps(_shown([regscan]), url, cache))
    return 0


def next_steps(regscan: str, url: str, cache: Path) -> str:
    """The three commands to try next, with this demo's registry URL and DB (pure)."""
    scan = _shown(scan_args(url, RESULTS, cache, "--fail-on", "high"))
    return "\n".join(
        [
            "",
            f"Results are in {RESULTS}/; the sample registry keeps running at {url}.",
            "Try next:",
            f"  {regscan} report {RESULTS} --image samples/alpine:3.18   # every platform",
            f"  {regscan} {scan}   # exit 3: policy failed",
            f"  {regscan} filter-tags --tag-filter 'isSemver(tag, true)'"
            " -- 3.18 3.19 latest 1.12-alpine   # tag filters, dry run",
            "Stop the registry with: make demo-stop",
        ]
    )


def _shown(argv: list[str]) -> str:
    """argv as a user would type it from the repository root."""
    cwd = Path.cwd()
    out = []
    for a in argv:
        path = Path(a)
        if path.is_absolute() and path.is_relative_to(cwd):
            a = str(path.relative_to(cwd))
        out.append(a if a and all(c.isalnum() or c in "/:._-=" for c in a) else repr(a))
    return " ".join(out)


if __name__ == "__main__":
    sys.exit(main())
