"""Run one benchmark phase's commands and print its cost as JSON (does I/O: subprocesses).

`python -m benchmarks.phase PARALLEL < JSON_ARGV_LIST`: runs the command lines with at most
PARALLEL at a time (like `xargs -P`) and prints {"wall", "cpu", "rss_mib", "failed"}: wall
seconds, CPU seconds of all children, the peak RSS of the largest child. A process of its
own, so the peak RSS is this phase's alone.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor


def main() -> None:
    parallel, commands = int(sys.argv[1]), json.loads(sys.stdin.read())
    start = time.perf_counter()

    def run(argv: list[str]) -> int:
        return subprocess.run(argv, capture_output=True, check=False).returncode

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        codes = list(pool.map(run, commands))
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        json.dumps(
            {
                "wall": time.perf_counter() - start,
                "cpu": usage.ru_utime + usage.ru_stime,
                "rss_mib": usage.ru_maxrss / 1024,
                "failed": sum(1 for c in codes if c != 0),
            }
        )
    )


if __name__ == "__main__":
    main()
