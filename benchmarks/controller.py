"""Controller tick benchmark: N Registries in one namespace, in memory and on a real API server.

Run: `python -m benchmarks.controller [--registries 200] [--images 50] [--api-ms 2]`
      [--kubeconfig FILE | --envtest]`.
Without a real API server it measures the in-memory stand-in of the test bench (a fixed
latency per request, --api-ms). With `--kubeconfig FILE` (a cluster where you may create
a CRD and namespaces) or `--envtest` (starts kube-apiserver + etcd from
KUBEBUILDER_ASSETS) it also runs against that server through the controller's own
KubeClient, and prints both columns side by side. Each backend runs in its own process,
so the RSS figures are its own.

For each phase: the tick's wall time, the API requests it made (and how many wrote),
and the process's peak RSS. Phases: first tick (N CronJobs applied, N status patches);
steady tick; every Registry's discovery done (a Job from its CronJob's template, as the
CronJob controller makes one, marked Complete; results in the store): N Indexed Jobs;
every scan Job done: N merged indexes and summaries; steady again. Then the time from
applying a new Registry to its CronJob existing, with the loop ticking every
--poll seconds (a tick over all N Registries included).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.controller_run import run_backend

PHASES = (
    "first tick (create)",
    "steady",
    "discoveries done",
    "scans running",
    "steady (scans running)",
    "scans done (summaries)",
    "steady again",
)


def _child(args: argparse.Namespace, backend: str, kubeconfig: str = "") -> dict[str, Any]:
    argv = [sys.executable, "-m", "benchmarks.controller", "--backend", backend]
    argv += ["--registries", str(args.registries), "--images", str(args.images)]
    argv += ["--api-ms", str(args.api_ms), "--poll", str(args.poll)]
    if kubeconfig:
        argv += ["--kubeconfig", kubeconfig]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"benchmark ({backend}) failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _table(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    head = f"{'':24s}" + "".join(f" | {r['label']:^33s}" for r in results)
    print(f"{args.registries} Registries x {args.images} images; in-memory: {args.api_ms} ms/call")
    print(head)
    sub = f" | {'tick s':>8s} {'requests':>8s} {'writes':>6s} {'RSS MiB':>8s}"
    print(f"{'phase':24s}" + sub * len(results))
    for i, name in enumerate(PHASES):
        cells = ""
        for r in results:
            p = r["phases"][i]
            cells += (
                f" | {p['seconds']:8.2f} {p['requests']:8d} {p['writes']:6d} {p['rss_mib']:8.0f}"
            )
        print(f"{name:24s}{cells}")
    for key, title in (("apply_to_cronjob", "apply -> CronJob s"),):
        cells = "".join(
            f" | median {r[key]['median']:6.2f}  max {r[key]['max']:6.2f} (n={r[key]['n']})"
            for r in results
        )
        print(f"{title:24s}{cells}")
    print(f"(apply -> CronJob with the loop ticking every {args.poll} s; REGSCAN_POLL_SECONDS)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registries", type=int, default=200)
    parser.add_argument("--images", type=int, default=50, help="images per Registry")
    parser.add_argument("--api-ms", type=float, default=2.0, help="in-memory latency per call")
    parser.add_argument("--poll", type=float, default=1.0, help="loop period for apply->CronJob")
    parser.add_argument("--kubeconfig", default="", help="also run against this API server")
    parser.add_argument(
        "--envtest",
        action="store_true",
        help="also run against kube-apiserver+etcd from KUBEBUILDER_ASSETS",
    )
    parser.add_argument("--backend", choices=["memory", "apiserver"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.backend:  # a child: one backend, JSON on the last line
        print(json.dumps(run_backend(args.backend, args)))
        return
    results = [_child(args, "memory")]
    if args.kubeconfig:
        results.append(_child(args, "apiserver", args.kubeconfig))
    elif args.envtest:
        from tests.bench.apiserver import missing_assets, running_apiserver

        if why := missing_assets():
            sys.exit(f"--envtest: {why}")
        with tempfile.TemporaryDirectory(prefix="regscan-bench-apiserver-") as work:
            assets = Path(os.environ["KUBEBUILDER_ASSETS"])
            with running_apiserver(assets, Path(work)) as server:
                results.append(_child(args, "apiserver", str(server.kubeconfig)))
    _table(results, args)


if __name__ == "__main__":
    main()
