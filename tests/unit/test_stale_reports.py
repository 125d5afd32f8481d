"""Which stored reports a scanner counts as stale, and how a DB update splits them (pure)."""

from __future__ import annotations

from job_images.scanning.plan import split_stale, stale_digests
from regscan.common.reports import Artifact, Report, ScannerInfo, Summary

NOW = ScannerInfo(name="trivy", version="0.76.0", dbUpdatedAt="2026-11-02T00:00:00Z")


def _report(digest: str, **scanner: str) -> tuple[str, Report]:
    info = NOW.model_copy(update=scanner)
    artifact = Artifact(registry="r", repository="app", digest=digest)
    return digest, Report(artifact=artifact, scanner=info, generatedAt="t", summary=Summary(),
                          severity="NONE")  # fmt: skip


STORED = [
    _report("sha256:c", db_updated_at="2026-11-01T00:00:00Z"),  # older DB: stale
    _report("sha256:a"),  # current
    _report("sha256:b", version="0.75.0"),  # older Trivy: stale
    _report("sha256:d", name="grype", db_updated_at="x"),  # another scanner: not ours
]


def test_stale_digests_are_ours_and_not_current_in_digest_order() -> None:
    assert stale_digests(STORED, NOW) == ["sha256:b", "sha256:c"]


def test_split_stale_keeps_what_restamp_took() -> None:
    seen: list[str] = []

    def restamp(report: Report) -> Report | None:
        seen.append(report.artifact.digest)
        return report if report.artifact.digest == "sha256:c" else None

    assert split_stale(STORED, NOW, restamp) == (["sha256:b"], ["sha256:c"])
    assert seen == ["sha256:b", "sha256:c"]  # each stale report offered once, no other
