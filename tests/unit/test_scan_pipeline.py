"""The scan run over a fake Scanner and the real FilesystemStore: reuse, rescan from stored
SBOMs, retries, policy once per digest, partial failure, totals (milliseconds, no Trivy).
"""

from __future__ import annotations

import json
from pathlib import Path

from job_images.scanning.adapters.base import AdapterError, AdapterSettings
from job_images.scanning.pipeline import ScanOptions, scan_images
from job_images.scanning.policy import Policy
from regscan.common import layout
from regscan.common.reports import CheckResult, Report, RunImage, Summary, count_run
from tests.unit.fake_scanner import DB2, NOW, D, FakeScanner, entry, make_adapter, vuln

FINDINGS = {D[0]: [vuln("CVE-1", "CRITICAL", "1.1")], D[1]: [vuln("CVE-2", "LOW")]}
IMAGES = [entry(D[0], "app", "v1"), entry(D[0], "mirror", "v1"), entry(D[1], "app", "v2")]


def run(adapter, store, images=IMAGES, **kw):  # type: ignore[no-untyped-def]
    sleeps: list[float] = []
    options = ScanOptions("run-1", "http://reg:5000", parallel=2, **kw)
    index = scan_images(images, adapter, store, None, options, now=lambda: NOW, sleep=sleeps.append)
    return index, sleeps


def test_scans_each_digest_once_and_stores_sbom_report_sarif(tmp_path: Path) -> None:
    scanner = FakeScanner(FINDINGS)
    adapter, store = make_adapter(tmp_path, scanner)
    index, _ = run(adapter, store)
    assert sorted(scanner.steps("sbom")) == [D[0], D[1]] and scanner.prepared >= 1
    assert (index.scanned, index.reused, index.failed) == (2, 0, 0)
    for digest in (D[0], D[1]):
        for key in (layout.sbom_key(digest), layout.report_key(digest), layout.sarif_key(digest)):
            assert store.exists(key)
    report = Report.model_validate_json(store.get(layout.report_key(D[0])) or b"")
    assert report.artifact.tags == ["v1"] and report.scanner.db_updated_at == "2026-11-01T00:00:00Z"
    assert [i.report for i in index.images] == [layout.report_key(d) for d in (D[0], D[0], D[1])]


def test_current_report_is_reused_and_stale_one_rescanned_from_stored_sbom(tmp_path: Path) -> None:
    scanner = FakeScanner(FINDINGS)
    adapter, store = make_adapter(tmp_path, scanner)
    run(adapter, store)
    scanner.calls.clear()
    index, _ = run(adapter, store)
    assert scanner.calls == [] and (index.scanned, index.reused) == (0, 2)
    assert all(i.reused and i.scanned_with is not None for i in index.images)
    scanner.db = DB2  # a new vulnerability DB: every stored report is stale
    assert adapter.handle_notification({"type": "db-updated"}) == [D[0], D[1]]
    index, _ = run(adapter, store)
    assert scanner.steps("sbom") == [] and sorted(scanner.steps("vulns")) == [D[0], D[1]]
    assert (index.scanned, index.reused) == (2, 0)
    assert adapter.handle_notification({"type": "db-updated"}) == []


def test_rescan_uses_stored_sboms_and_falls_back_to_a_scan(tmp_path: Path) -> None:
    scanner = FakeScanner(FINDINGS)
    adapter, store = make_adapter(tmp_path, scanner)
    run(adapter, store, images=[IMAGES[0]])
    scanner.calls.clear()
    index, _ = run(adapter, store, rescan=True)
    assert scanner.steps("sbom") == [D[1]]  # D0 from its stored SBOM; D1 had none
    assert sorted(scanner.steps("vulns")) == [D[0], D[1]]
    assert (index.scanned, index.reused, index.failed) == (2, 0, 0)


def test_retries_only_what_can_be_retried(tmp_path: Path) -> None:
    scanner = FakeScanner(FINDINGS)
    scanner.failures = {
        D[0]: [AdapterError("flaky", error_code="Timeout", can_retry=True)] * 2,
        D[1]: [AdapterError("denied", error_code="Forbidden", can_retry=False)],
    }
    adapter, store = make_adapter(tmp_path, scanner)
    index, sleeps = run(adapter, store, retries=2, retry_delay=0.5)
    assert scanner.steps("sbom").count(D[0]) == 3 and scanner.steps("sbom").count(D[1]) == 1
    assert sleeps == [0.5, 1.0]  # backoff doubles; nothing for the non-retryable error
    by = {i.digest: i for i in index.images}
    assert by[D[0]].status == "ok" and by[D[1]].status == "failed"
    assert (by[D[1]].error, by[D[1]].error_code) == ("denied", "Forbidden")


def test_partial_failure_reports_the_others(tmp_path: Path) -> None:
    scanner = FakeScanner(FINDINGS)
    scanner.failures = {D[1]: [AdapterError("crash", can_retry=True)] * 5}
    adapter, store = make_adapter(tmp_path, scanner)
    index, sleeps = run(adapter, store, retries=1, retry_delay=0)
    assert [i.status for i in index.images] == ["ok", "ok", "failed"]
    assert index.images[2].error_code == "ScannerFailed" and index.images[2].summary is None
    assert (index.scanned, index.failed) == (1, 1) and len(sleeps) == 1
    assert not store.exists(layout.report_key(D[1])) and not store.exists(layout.sbom_key(D[1]))
    assert index.totals == Summary(critical=1, total=1, fixable=1)


def test_policy_applied_once_per_digest_and_recorded(tmp_path: Path) -> None:
    scanner = FakeScanner(FINDINGS)
    adapter, store = make_adapter(tmp_path, scanner, Policy(fail_on="HIGH"))
    index, _ = run(adapter, store)
    assert adapter.evaluations == 2  # two unique digests, three entries
    assert [i.policy.passed if i.policy else None for i in index.images] == [False, False, True]
    assert index.policy_failing == 2  # entries, as the table shows them
    assert index.images[0].policy.reasons[0] == "1 finding(s) at or above HIGH"  # type: ignore[union-attr]
    assert index.policy is not None and index.policy.failOn == "HIGH"
    stored = json.loads(store.get(layout.report_key(D[0])) or b"")
    assert "policy" not in stored  # shared by every run: findings only, no verdict
    adapter.evaluations = 0
    index, _ = run(adapter, store)  # reused reports are judged again, once each
    assert adapter.evaluations == 2 and index.reused == 2 and index.policy_failing == 2


def test_a_later_run_with_another_policy_leaves_no_stale_verdict(tmp_path: Path) -> None:
    scanner = FakeScanner(FINDINGS)
    adapter, store = make_adapter(tmp_path, scanner)  # first run: no policy, all pass
    first, _ = run(adapter, store)
    adapter.configure(AdapterSettings(store=store, policy=Policy(fail_on="HIGH")))
    second, _ = run(adapter, store)
    assert first.policy_failing == 0 and second.policy_failing == 2 and second.reused == 2
    assert second.policy is not None and second.policy.failOn == "HIGH"
    for digest in (D[0], D[1]):  # the shared reports say nothing either run could contradict
        assert "policy" not in json.loads(store.get(layout.report_key(digest)) or b"")


def test_a_report_stored_with_a_verdict_loses_it_when_a_run_reuses_it(tmp_path: Path) -> None:
    scanner = FakeScanner(FINDINGS)
    adapter, store = make_adapter(tmp_path, scanner)
    run(adapter, store)
    key = layout.report_key(D[0])
    legacy = {**json.loads(store.get(key) or b""), "policy": {"passed": True, "reasons": []}}
    store.put(key, json.dumps(legacy).encode())  # as reports were written before
    adapter.configure(AdapterSettings(store=store, policy=Policy(fail_on="CRITICAL")))
    index, _ = run(adapter, store)
    assert index.reused == 2 and index.images[0].policy is not None
    assert not index.images[0].policy.passed  # the run's verdict, not the stored one
    assert "policy" not in json.loads(store.get(key) or b"")  # rewritten once, findings kept
    assert json.loads(store.get(key) or b"")["vulnerabilities"][0]["id"] == "CVE-1"


def test_totals_count_a_shared_digest_once(tmp_path: Path) -> None:
    scanner = FakeScanner(FINDINGS)
    adapter, store = make_adapter(tmp_path, scanner)
    index, _ = run(adapter, store)
    assert index.totals == Summary(critical=1, low=1, total=2, fixable=1)
    assert [i.summary.total if i.summary else 0 for i in index.images] == [1, 1, 1]


def test_count_run_is_per_unique_digest() -> None:
    def img(digest: str, status: str, reused: bool = False, passed: bool = True) -> RunImage:
        ok = status == "ok"
        return RunImage(
            registry="r",
            repository="x",
            tags=[],
            digest=digest,
            platform="p",
            status=status,
            reused=reused,
            summary=Summary(high=2, total=2) if ok else None,
            policy=CheckResult(passed=passed) if ok else None,
        )

    images = [
        img(D[0], "ok", passed=False),
        img(D[0], "ok", passed=False),
        img(D[1], "ok", reused=True),
        img(D[2], "failed"),
    ]
    counts = count_run(images)
    assert counts.totals == Summary(high=4, total=4)
    assert (counts.scanned, counts.reused, counts.failed, counts.policy_failing) == (1, 1, 1, 2)
