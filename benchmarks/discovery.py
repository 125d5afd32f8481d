"""Discovery benchmark: prints images/s, requests per image, warm re-run, skopeo ratio, CEL cost.

Run: `python -m benchmarks.discovery [--repos 200 --tags 20 --skopeo-repos 10]`.
Starts its own registry on 127.0.0.1, pushes REPOS x TAGS tags (each repository
has TAGS/4 distinct two-platform indexes, four tags each), then measures.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from job_images.discovery.celfilter import MatchCondition, TagFilter
from job_images.discovery.options import ClientOptions
from job_images.discovery.run import DiscoverySpec, discover
from tests.bench.images import Content, Package, build_image
from tests.bench.pusher import Pusher
from tests.bench.servers import start_registry


def populate(url: str, repos: int, tags: int) -> None:
    def one(r: int) -> None:
        pusher = Pusher(url)
        for k in range(max(1, tags // 4)):
            content = Content("alpine", "3.18.4", [Package("busybox", f"1.36.{r}-r{k}")])
            children = [build_image(content, p) for p in ("linux/amd64", "linux/arm64")]
            names = [f"1.{k}.{j}" for j in range(4)]
            pusher.push_multiarch(f"bench/repo{r:04d}", names, children)
        pusher.close()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(repos)))


def per_image(requests: dict[str, int], images: int) -> str:
    return ", ".join(f"{k}={v / images:.3f}" for k, v in sorted(requests.items()))


def skopeo_baseline(host: str, repos: int) -> tuple[float, int]:
    skopeo = shutil.which("skopeo")
    if skopeo is None:
        return 0.0, 0
    start = time.perf_counter()
    count = 0
    for r in range(repos):
        ref = f"docker://{host}/bench/repo{r:04d}"
        out = subprocess.run(
            [skopeo, "list-tags", "--tls-verify=false", ref],
            capture_output=True,
            text=True,
            check=True,
        )
        import json

        for tag in json.loads(out.stdout)["Tags"]:
            subprocess.run(
                [skopeo, "inspect", "--raw", "--tls-verify=false", f"{ref}:{tag}"],
                capture_output=True,
                check=True,
            )
            count += 1
    return time.perf_counter() - start, count


def cel_cost(n: int) -> float:
    f = TagFilter(
        [
            MatchCondition("recent", 'semver(tag, true).isGreaterThan(semver("1.2.0"))'),
            MatchCondition("prefix", 'tag.startsWith("1.")'),
        ]
    )
    start = time.perf_counter()
    for i in range(n):
        f.matches("bench/repo", f"1.{i % 50}.{i % 7}")
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repos", type=int, default=200)
    ap.add_argument("--tags", type=int, default=20)
    ap.add_argument("--skopeo-repos", type=int, default=10)
    ap.add_argument("--cel-evals", type=int, default=20000)
    ap.add_argument("--concurrency", type=int, default=16)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="regscan-bench-"))
    reg = start_registry(work / "registry")
    try:
        t = time.perf_counter()
        populate(reg.url, args.repos, args.tags)
        print(
            f"populated {args.repos} repositories x {args.tags} tags in "
            f"{time.perf_counter() - t:.1f}s"
        )
        spec = DiscoverySpec(reg.url, options=ClientOptions(concurrency=args.concurrency))
        t, c = time.perf_counter(), time.process_time()
        first = discover(spec)
        cold = time.perf_counter() - t
        print(f"  client CPU: {time.process_time() - c:.2f}s of {cold:.2f}s wall (2 cores shared)")
        n = len(first.images)
        print(
            f"first run:  {n} images from {first.stats.tags} tags in "
            f"{cold:.2f}s = {n / cold:.0f} images/s"
        )
        print(f"  requests per image: {per_image(first.stats.requests, n)}")
        print(f"  requests total: {first.stats.requests}")
        t = time.perf_counter()
        second = discover(spec, previous=first.manifests)
        warm = time.perf_counter() - t
        print(
            f"second run: {len(second.images)} images in {warm:.2f}s = {n / warm:.0f} images/s; "
            f"manifest GETs={second.stats.requests.get('get', 0)}"
        )
        print(f"  requests per image: {per_image(second.stats.requests, n)}")
        print(f"  second run speed-up: {cold / warm:.1f}x (target >= 3x)")
        secs, tags = skopeo_baseline(reg.host, min(args.skopeo_repos, args.repos))
        if tags:
            per_tag = secs / tags
            ours = cold / first.stats.tags
            print(
                f"skopeo baseline (list-tags + inspect --raw, sequential): {tags} tags in "
                f"{secs:.1f}s = {per_tag * 1000:.1f} ms/tag; regscan {ours * 1000:.2f} ms/tag; "
                f"ratio {per_tag / ours:.1f}x (target >= 5x)"
            )
        else:
            print("skopeo not installed: baseline skipped")
        secs = cel_cost(args.cel_evals)
        per = secs / args.cel_evals
        print(
            f"CEL (cel-python, 2 conditions): {per * 1e3:.3f} ms/tag -> "
            f"100k tags would take {per * 1e5:.1f}s"
        )
    finally:
        reg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
