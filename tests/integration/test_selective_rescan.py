"""After a DB update, re-scanning only the affected digests gives the reports a full
rescan gives (real registry, real Trivy, fixture DB pairs)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from regscan.common import layout
from regscan.common.reports import Report, RunIndex
from tests.bench import servers
from tests.bench.catalog import SampleCatalog, fixture_db
from tests.bench.trivydb import Advisory, FixtureDB, write_db
from tests.integration.helpers import regscan, scan_args

pytestmark = pytest.mark.usefixtures("trivy_bin")
Edit = Callable[[list[Advisory]], list[Advisory]]


def _with(package: str, **change: str) -> Edit:
    return lambda advs: [
        dataclasses.replace(a, **change) if a.package == package else a for a in advs
    ]


def _with_id(vuln_id: str, fixed: str) -> Edit:
    return lambda advs: [
        dataclasses.replace(a, fixed_version=fixed) if a.vuln_id == vuln_id else a for a in advs
    ]


NEW = Advisory("alpine 3.18", "busybox", "CVE-2099-4001", "MEDIUM", "1.36.1-r1")

CASES: list[tuple[str, Edit, set[str]]] = [
    # (what the DB update does, how, which sample images it can affect)
    ("adds an advisory", lambda advs: [*advs, NEW], {"alpine", "python"}),  # both: busybox
    ("removes an advisory", lambda advs: [a for a in advs if a.vuln_id != "CVE-2099-2001"],
     {"debian"}),
    ("changes a fixed version", _with("zlib", fixed_version="1.2.13-r3"), {"alpine"}),
    ("changes a severity", _with("glibc", severity="HIGH"), {"debian"}),
    ("changes Debian 11's openssl (the images are Debian 12)",
     _with_id("CVE-2099-9002", "9.9.10"), set()),
]  # fmt: skip


def _findings(store: Path, digest: str) -> list[tuple[str, str, str, str, str]]:
    report = Report.model_validate_json((store / layout.report_key(digest)).read_bytes())
    return sorted(
        (v.id, v.package, v.installed_version, v.fixed_version, v.severity)
        for v in report.vulnerabilities
    )


@pytest.fixture(scope="module")
def baseline(
    registry: servers.Registry, samples: SampleCatalog, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Every sample scanned with the fixture DB."""
    root = tmp_path_factory.mktemp("selective")
    cache = root / "cache0"
    write_db(fixture_db(), cache)
    out = root / "baseline"
    proc = regscan(*scan_args(registry.url, out, cache, "--repository", "samples/*"))
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.parametrize(("what", "edit", "kinds"), CASES, ids=[c[0] for c in CASES])
def test_selective_rescan_equals_full_rescan(
    registry: servers.Registry,
    samples: SampleCatalog,
    baseline: Path,
    tmp_path: Path,
    what: str,
    edit: Edit,
    kinds: set[str],
) -> None:
    base = fixture_db()
    new_db = FixtureDB(edit(list(base.advisories)), base.updated_at + dt.timedelta(days=3))
    cache = tmp_path / "cache1"
    write_db(new_db, cache)
    selective, full, spawned = tmp_path / "selective", tmp_path / "full", tmp_path / "spawned"
    for copy in (selective, full, spawned):
        shutil.copytree(baseline, copy)
    for memo in spawned.rglob("*.scan-memo.json"):  # no memo: one `trivy sbom` per digest
        memo.unlink()
    args = ("--repository", "samples/*")
    proc = regscan(*scan_args(registry.url, selective, cache, *args))
    assert proc.returncode == 0, proc.stderr
    proc = regscan(*scan_args(registry.url, full, cache, *args, "--rescan"))
    assert proc.returncode == 0, proc.stderr
    proc = regscan(*scan_args(registry.url, spawned, cache, *args, "--rescan"))
    assert proc.returncode == 0, proc.stderr

    digests = {
        "alpine": set(samples.alpine_children.values()),
        "debian": set(samples.debian_children.values()),
        "python": {samples.python_digest},
    }
    every = set().union(*digests.values())
    for digest in every:
        assert _findings(selective, digest) == _findings(full, digest), (what, digest)
        # replaying the stored memo to the server == a `trivy sbom` process
        assert _findings(full, digest) == _findings(spawned, digest), (what, digest)
        memo = layout.scan_memo_key(digest)
        # the memo was replayed, not re-made (a process's memo names its own temp file)
        assert (full / memo).read_bytes() == (baseline / memo).read_bytes(), (what, digest)
        assert (spawned / memo).read_bytes() != (baseline / memo).read_bytes(), (what, digest)
    index = RunIndex.model_validate_json((selective / "runs" / "latest.json").read_bytes())
    rescanned = {img.digest for img in index.images if not img.reused}
    expected = set().union(set(), *(digests[k] for k in kinds))
    assert rescanned == expected, what
    # The update really changes what a full rescan reports for the affected images.
    changed = {d for d in every if _findings(full, d) != _findings(baseline, d)}
    assert changed <= expected and bool(changed) == bool(expected), what
    db_version = index.scanner.db_updated_at if index.scanner else None
    for digest in every - expected:  # re-stamped: verified against the new DB, not re-scanned
        report = Report.model_validate_json((selective / layout.report_key(digest)).read_bytes())
        assert report.scanner.db_updated_at == db_version and report.verified_at
        assert report.scanned_with and report.scanned_with.db_updated_at != db_version
        raw = json.loads((selective / layout.report_key(digest)).read_bytes())
        assert "policy" not in raw  # re-stamped reports carry no verdict: it lives in the run
        sarif = layout.sarif_key(digest)  # names no DB: not rewritten
        assert (selective / sarif).read_bytes() == (baseline / sarif).read_bytes()
