"""A new DB in the mirror is noticed on the next run, whatever the cached NextUpdate says
(real registry as the DB mirror, real Trivy, fixture DBs)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from regscan.common.reports import RunIndex
from tests.bench import servers
from tests.bench.catalog import SampleCatalog, fixture_db
from tests.bench.pusher import Pusher
from tests.bench.trivydb import db_artifact_layer, write_db
from tests.integration.helpers import regscan

pytestmark = pytest.mark.usefixtures("trivy_bin")


def _publish(registry: servers.Registry, repo: str, layer: bytes) -> str:
    pusher = Pusher(registry.url)
    try:
        return pusher.push_trivy_db(repo, layer)
    finally:
        pusher.close()


def _db_layer(tmp: Path, updated: dt.datetime, requests_severity: str) -> bytes:
    db = fixture_db()
    advisories = [
        dataclasses.replace(a, severity=requests_severity) if a.package == "requests" else a
        for a in db.advisories
    ]
    return db_artifact_layer(
        write_db(dataclasses.replace(db, advisories=advisories, updated_at=updated), tmp)
    )


def _scan(registry: servers.Registry, tmp: Path, db_ref: str) -> RunIndex:
    out = tmp / "out"
    proc = regscan(
        "scan",
        "--registry",
        registry.url,
        "--repository",
        "samples/python",
        "--output-dir",
        str(out),
        "--db-repository",
        db_ref,
        "--cache-dir",
        str(tmp / "cache"),
    )
    assert proc.returncode == 0, proc.stderr
    return RunIndex.model_validate_json((out / "runs" / "latest.json").read_bytes())


def test_new_db_in_mirror_is_used_on_the_next_run(
    registry: servers.Registry, samples: SampleCatalog, tmp_path: Path
) -> None:
    repo = "fresh/trivy-db"
    ref = f"{registry.host}/{repo}"
    old_day, new_day = (
        dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 2, tzinfo=dt.UTC),
    )
    first_digest = _publish(registry, repo, _db_layer(tmp_path / "v1", old_day, "MEDIUM"))

    first = _scan(registry, tmp_path, ref)
    assert first.totals.medium == 1 and first.totals.high == 0  # requests (flask is a decoy)
    assert (
        first.scanner
        and first.scanner.db_updated_at
        and first.scanner.db_updated_at.startswith("2026-11-01")
    )
    recorded = json.loads((tmp_path / "cache" / "db" / "regscan-source.json").read_text())
    assert recorded == {"digest": first_digest, "repository": f"{ref}:2"}

    unchanged = _scan(registry, tmp_path, ref)  # same DB: every report reused
    assert unchanged.reused == 1 and unchanged.failed == 0

    # The mirror gets a new DB (requests now HIGH); the cached one's NextUpdate is 10 years away.
    _publish(registry, repo, _db_layer(tmp_path / "v2", new_day, "HIGH"))
    second = _scan(registry, tmp_path, ref)
    assert (
        second.scanner
        and second.scanner.db_updated_at
        and second.scanner.db_updated_at.startswith("2026-11-02")
    )
    assert second.totals.medium == 0 and second.totals.high == 1
    assert second.reused == 0 and second.failed == 0  # the report re-made with the new DB
    assert not list((tmp_path / "cache").glob(".regscan-db-*"))  # no temp left behind


def test_broken_new_db_keeps_the_old_one_and_silent_mirror_keeps_cache(
    registry: servers.Registry, samples: SampleCatalog, tmp_path: Path
) -> None:
    repo = "broken/trivy-db"
    ref = f"{registry.host}/{repo}"
    _publish(
        registry,
        repo,
        _db_layer(tmp_path / "v1", dt.datetime(2026, 11, 1, tzinfo=dt.UTC), "MEDIUM"),
    )
    assert _scan(registry, tmp_path, ref).totals.medium == 1
    before = (tmp_path / "cache" / "db" / "trivy.db").read_bytes()

    _publish(registry, repo, b"not a tar.gz at all")  # a new digest whose layer Trivy rejects
    proc = regscan(
        "scan", "--registry", registry.url, "--repository", "samples/python",
        "--output-dir", str(tmp_path / "out"), "--db-repository", ref,
        "--cache-dir", str(tmp_path / "cache"),
    )  # fmt: skip
    assert proc.returncode == 1 and "vulnerability DB download" in proc.stderr
    assert (tmp_path / "cache" / "db" / "trivy.db").read_bytes() == before  # old DB kept
    assert not list((tmp_path / "cache").glob(".regscan-db-*"))

    # A mirror that does not answer: the cached DB is used (Trivy's own rule), with a warning.
    dead = f"127.0.0.1:{servers.free_port()}/gone/trivy-db"
    index = _scan(registry, tmp_path, dead)
    assert index.totals.medium == 1


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("https://ghcr.io/aquasecurity/trivy-db", "no scheme"),
        ("ghcr.io/aquasecurity/trivy-db@sha256:" + "0" * 64, "no scheme or digest"),
        ("trivy-db", "registry host"),
        ("ghcr.io/Upper/Case", "not a valid repository"),
        ("ghcr.io/aquasecurity/trivy-db:bad tag", "not a valid repository"),
    ],
)
def test_bad_db_repository_is_refused_before_any_work(
    value: str, fragment: str, tmp_path: Path
) -> None:
    port = servers.free_port()  # nothing listens: a request would fail differently
    proc = regscan(
        "scan", "--registry", f"http://127.0.0.1:{port}", "--output-dir", str(tmp_path),
        "--db-repository", value,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "db-repository" in proc.stderr and fragment in proc.stderr
    assert "Traceback" not in proc.stderr
