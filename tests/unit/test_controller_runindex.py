"""The merged run index: fresh shard results, carried-over reports, missing results (pure)."""

from __future__ import annotations

from controller.core.runindex import NO_RESULT, known_scanners, merge_run
from controller.core.status import summarize_run
from regscan.common.discovery import ImageEntry
from regscan.common.policy import PolicySpec
from regscan.common.reports import CheckResult, RunImage, RunIndex, ScannerInfo, Summary

D = ["sha256:" + c * 64 for c in "abcd"]
OLD = ScannerInfo(name="trivy", version="0.76.0", dbUpdatedAt="2026-11-01T00:00:00Z")
NEW = ScannerInfo(name="trivy", version="0.76.0", dbUpdatedAt="2026-11-22T00:00:00Z")


def entry(digest: str, repo: str = "app") -> ImageEntry:
    return ImageEntry(registry="r", repository=repo, tags=["v1"], digest=digest, platform="p")


def result(digest: str, status: str = "ok", critical: int = 1, passed: bool = True) -> RunImage:
    return RunImage(
        registry="r",
        repository="old-name",
        tags=["old"],
        digest=digest,
        platform="p",
        status=status,
        summary=Summary(critical=critical, total=critical) if status == "ok" else None,
        policy=CheckResult(passed=passed) if status == "ok" else None,
        scanned_with=NEW if status == "ok" else None,
    )


def test_merge_prefers_fresh_then_carried_then_reports_missing() -> None:
    previous = RunIndex(runId="run-0", startedAt="t", images=[result(D[0]), result(D[1])])
    for img in previous.images:
        img.scanned_with = OLD
    shard = RunIndex(
        runId="run-1",
        startedAt="t",
        images=[result(D[0], critical=5, passed=False), result(D[1], status="failed")],
    )
    images = [entry(D[0]), entry(D[0], "mirror"), entry(D[1]), entry(D[2])]
    policy = PolicySpec(failOn="HIGH")
    merged = merge_run("run-1", "https://r", images, [shard], previous, "t0", "t1", "p1", policy)
    by = {(i.repository, i.digest): i for i in merged.images}
    assert by[("app", D[0])].summary == Summary(critical=5, total=5)  # fresh wins
    assert by[("app", D[0])].tags == ["v1"]  # where it lives now, from discovery
    assert by[("app", D[1])].reused and by[("app", D[1])].scanned_with == OLD  # failed re-scan
    assert by[("app", D[2])].status == "failed" and by[("app", D[2])].error == NO_RESULT
    assert (merged.scanned, merged.reused, merged.failed) == (1, 1, 1)
    assert merged.totals.critical == 6  # D0 counted once for two repositories
    assert merged.policy_failing == 2 and merged.scanner == NEW and merged.policy_hash == "p1"
    assert merged.policy == policy  # the run records what its verdicts were judged by
    assert known_scanners(merged) == {D[0]: NEW, D[1]: OLD}
    last, vulns, policy = summarize_run(merged, "t0")
    assert last.images == 4 and vulns.critical == 6
    assert (policy.passing, policy.failing) == (1, 3)  # D2 has no result: not passing


def test_a_cluster_run_with_failures_is_partial() -> None:
    images = [entry(D[0]), entry(D[1])]
    complete = merge_run("run-1", "http://r", images, [], None, "t0", "t1")
    assert complete.failed == 2 and complete.partial  # no shard reported: both failed
    listed = merge_run("run-1", "http://r", [], [], None, "t0", "t1", discovery_errors=1)
    assert listed.partial and listed.discovery_errors == 1
    clean = merge_run("run-1", "http://r", [], [], None, "t0", "t1")
    assert not clean.partial
