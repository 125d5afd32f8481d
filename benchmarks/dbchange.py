"""DB-update benchmark: what selective rescans cost on a DB of real size.

Run: `python -m benchmarks.dbchange [--packages 50000] [--per-package 4] [--digests 2000]`.
Writes two synthetic Trivy DBs (bbolt, written with the fixture writer; not timed) that
differ in 1 % of the packages, then times what regscan does after a DB update: fingerprint
the new DB (once per DB version per store), diff two fingerprints, and match every
digest's package index. Prints figures; asserts nothing (the tests do).
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import resource
import tempfile
import time
from pathlib import Path

from job_images.scanning.dbchange import affected, diff
from job_images.scanning.dbfingerprint import fingerprint
from tests.bench.trivydb import Advisory, FixtureDB, write_db

SOURCES = ["alpine 3.18", "alpine 3.19", "debian 11", "debian 12", "ubuntu 22.04",
           "pip::GitHub Security Advisory pip", "npm::GitHub Security Advisory npm",
           "go::The Go Vulnerability Database", "Red Hat"]  # fmt: skip


def synthetic(packages: int, per_package: int, seed: int = 7) -> FixtureDB:
    rng = random.Random(seed)
    advisories = []
    for p in range(packages):
        source = SOURCES[p % len(SOURCES)]
        for v in range(per_package):
            advisories.append(
                Advisory(source, f"pkg{p}", f"CVE-2020-{p * per_package + v}",
                         rng.choice(["LOW", "MEDIUM", "HIGH"]), f"{v}.0.{rng.randint(0, 9)}")
            )  # fmt: skip
    return FixtureDB(advisories)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--packages", type=int, default=50_000)
    ap.add_argument("--per-package", type=int, default=4)
    ap.add_argument("--digests", type=int, default=2_000)
    ap.add_argument("--packages-per-digest", type=int, default=300)
    args = ap.parse_args()
    old = synthetic(args.packages, args.per_package)
    touched = set(range(0, args.packages, 100))  # 1 % of the packages
    new = dataclasses.replace(
        old,
        advisories=[
            dataclasses.replace(a, fixed_version="9.9.9", patched_versions=("9.9.9",))
            if int(a.package[3:]) in touched
            else a
            for a in old.advisories
        ],
    )
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        write_db(old, Path(tmp) / "old")
        write_db(new, Path(tmp) / "new")
        wrote = time.perf_counter() - t
        print(f"wrote two DBs of {len(old.advisories)} advisories in {wrote:.1f}s")
        size = (Path(tmp) / "new" / "db" / "trivy.db").stat().st_size
        t = time.perf_counter()
        fp_old = fingerprint(Path(tmp) / "old" / "db" / "trivy.db")
        fp_time = time.perf_counter() - t
        fp_new = fingerprint(Path(tmp) / "new" / "db" / "trivy.db")
        t = time.perf_counter()
        change = diff(fp_old, fp_new)
        diff_time = time.perf_counter() - t
    rng = random.Random(3)
    indexes = [
        [("alpine@3.18.4", f"pkg{rng.randrange(args.packages)}")
         for _ in range(args.packages_per_digest)]
        for _ in range(args.digests)
    ]  # fmt: skip
    t = time.perf_counter()
    hits = sum(affected(change, index, ()) for index in indexes)
    match_time = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    blob = len(fp_new.to_json())
    print(f"DB file {size / 2**20:.1f} MiB, {len(old.advisories)} advisories, "
          f"{len(fp_new.vulnerabilities)} records")  # fmt: skip
    print(f"fingerprint: {fp_time:.2f}s per DB version, {blob / 2**20:.1f} MiB stored")
    print(f"diff: {diff_time * 1000:.0f} ms, {len(change.packages)} changed packages "
          f"({len(change.vulnerabilities)} records)")  # fmt: skip
    print(f"match {args.digests} digests x {args.packages_per_digest} packages: "
          f"{match_time * 1000:.0f} ms, {hits} affected")  # fmt: skip
    print(f"peak RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
