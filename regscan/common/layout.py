"""The object-store layout: the only place that knows where things live (pure).

Keys are built from validated digests and run ids only, so no untrusted name
(repository, tag) ever becomes part of a path.
"""

from __future__ import annotations

import re

from regscan.common.errors import InvalidInput

_HEX = re.compile(r"^[0-9a-f]{64}$")
_RUN_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def _hex(digest: str) -> str:
    algo, _, hexpart = digest.partition(":")
    if algo != "sha256" or not _HEX.match(hexpart):
        raise InvalidInput("digest", f"{digest[:80]!r} is not a sha256 digest")
    return hexpart


def check_run_id(run_id: str) -> str:
    if not _RUN_ID.match(run_id):
        raise InvalidInput("run", f"{run_id[:80]!r} must match {_RUN_ID.pattern}")
    return run_id


def sbom_key(digest: str) -> str:
    return f"sboms/sha256/{_hex(digest)}.spdx.json"


def cyclonedx_key(digest: str) -> str:
    """The SBOM converted to CycloneDX JSON, beside the SPDX one (made on first request)."""
    return f"sboms/sha256/{_hex(digest)}.cdx.json"


def package_index_key(digest: str) -> str:
    """The digest's package index (ecosystem, package) from its SBOM, beside the SBOM."""
    return f"sboms/sha256/{_hex(digest)}.packages.json"


def scan_memo_key(digest: str) -> str:
    """What the scanner keeps to scan the digest's SBOM again cheaply, beside the SBOM."""
    return f"sboms/sha256/{_hex(digest)}.scan-memo.json"


_DB_VERSION = re.compile(r"[^0-9A-Za-z]+")


def db_fingerprint_key(scanner: str, db_version: str) -> str:
    """One vulnerability-DB version's fingerprint (what a DB update changed: dbchange.py)."""
    name = _DB_VERSION.sub("-", db_version).strip("-")
    if not name or not _RUN_ID.match(scanner):
        raise InvalidInput("db", f"{scanner!r}/{db_version[:80]!r} names no DB version")
    return f"dbs/{scanner}/{name[:100]}.fingerprint.json"


def report_key(digest: str) -> str:
    return f"reports/sha256/{_hex(digest)}.json"


def sarif_key(digest: str) -> str:
    return f"reports/sha256/{_hex(digest)}.sarif.json"


REPORTS_PREFIX = "reports/sha256/"
# the index of the latest *complete* run; a partial run (some images or repositories
# failed) is only at `runs/<run>/index.json`, so a reader never mistakes it for the whole
LATEST_RUN_KEY = "runs/latest.json"


def digest_from_report_key(key: str) -> str | None:
    name = key.rsplit("/", 1)[-1]
    if name.endswith(".json") and not name.endswith(".sarif.json"):
        hexpart = name[: -len(".json")]
        if _HEX.match(hexpart):
            return f"sha256:{hexpart}"
    return None


def run_index_key(run_id: str) -> str:
    return f"runs/{check_run_id(run_id)}/index.json"


def rescan_plan_key(run_id: str) -> str:
    return f"runs/{check_run_id(run_id)}/rescan.json"


def discovery_key(run_id: str) -> str:
    return f"runs/{check_run_id(run_id)}/discovery.json"


def discovery_cache_key(source: str) -> str:
    """The last discovery of a source (the discovery CronJob's name): its manifest cache."""
    return f"discovery-cache/{check_run_id(source)}.json"


def shard_key(run_id: str, shard: int) -> str:
    if shard < 0:
        raise InvalidInput("shard", f"must be >= 0, got {shard}")
    return f"runs/{check_run_id(run_id)}/shards/{shard:05d}.json"


def shard_result_key(run_id: str, shard: int) -> str:
    if shard < 0:
        raise InvalidInput("shard", f"must be >= 0, got {shard}")
    return f"runs/{check_run_id(run_id)}/results/{shard:05d}.json"


def shard_results_prefix(run_id: str) -> str:
    return f"runs/{check_run_id(run_id)}/results/"


def shard_of_result_key(key: str) -> int | None:
    name = key.rsplit("/", 1)[-1]
    stem = name.removesuffix(".json")
    return int(stem) if name.endswith(".json") and stem.isdigit() else None


def under(namespace: str, key: str) -> str:
    """A key in a Registry namespace's part of the bucket (`<namespace>/<key>`)."""
    if not re.match(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", namespace):
        raise InvalidInput("namespace", f"{namespace[:80]!r} is not a namespace name")
    return f"{namespace}/{key}"


def check_key(key: str) -> str:
    """Reject keys that could escape a root: absolute, '..', empty segments, odd characters."""
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in key.split("/")):
        raise InvalidInput("key", f"{key[:120]!r} is not a safe object key")
    if not re.match(r"^[A-Za-z0-9._/-]+$", key):
        raise InvalidInput("key", f"{key[:120]!r} has characters outside [A-Za-z0-9._/-]")
    return key


_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def check_bucket_name(bucket: str, field: str = "s3-bucket") -> str:
    """An S3 bucket name by the AWS rules MinIO applies too."""
    if not _BUCKET.match(bucket) or ".." in bucket or ".-" in bucket or "-." in bucket:
        raise InvalidInput(
            field,
            f"{bucket[:80]!r} is not a bucket name: 3-63 characters of a-z, 0-9, '.' and '-', "
            "starting and ending with a letter or digit",
        )
    if re.match(r"^\d+\.\d+\.\d+\.\d+$", bucket):
        raise InvalidInput(field, f"{bucket!r} is not a bucket name: it looks like an IP address")
    return bucket


def inventory_key(registry: str, selection: str) -> str:
    """Per registry and discovery selection (a hash of the filters)."""
    host = re.sub(r"[^A-Za-z0-9.-]", "_", registry)[:200]
    if not re.match(r"^[0-9a-f]{8,64}$", selection):
        raise InvalidInput("selection", "must be a hex hash")
    return f"inventory/{host}/{selection}.json"


INVENTORY_PREFIX = "inventory/"

# Every top-level folder a key above lives in (the README's "Where results go" table
# documents each; a test checks both).
TOP_LEVEL = ("sboms/", "reports/", "dbs/", "runs/", "inventory/", "discovery-cache/")
