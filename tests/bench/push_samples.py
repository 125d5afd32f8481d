"""Push the sample catalog and the fixture Trivy DB to a registry (does network I/O).

`python -m tests.bench.push_samples http://127.0.0.1:PORT` (used by `make kind-e2e`
through a port-forward): the `samples/*` images, and the DB as `mirror/trivy-db:2` for
a Registry's `scanner.dbRepository`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.bench.catalog import SampleCatalog, fixture_db, push_samples
from tests.bench.pusher import Pusher
from tests.bench.trivydb import db_artifact_layer, write_db

DB_REPOSITORY = "mirror/trivy-db"


def push_all(url: str) -> SampleCatalog:
    pusher = Pusher(url)
    try:
        catalog = push_samples(pusher)
        with tempfile.TemporaryDirectory(prefix="regscan-db-") as tmp:
            write_db(fixture_db(), Path(tmp))
            pusher.push_trivy_db(DB_REPOSITORY, db_artifact_layer(Path(tmp) / "db"))
    finally:
        pusher.close()
    return catalog


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.bench.push_samples REGISTRY_URL", file=sys.stderr)
        return 2
    catalog = push_all(argv[0])
    platforms = len(catalog.alpine_children) + len(catalog.debian_children) + 1
    print(f"pushed samples/alpine, samples/debian, samples/python ({platforms} platform images)")
    print(f"pushed the fixture vulnerability DB as {DB_REPOSITORY}:2")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
