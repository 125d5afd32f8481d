"""The scan run's decisions and assembly (pure): which digests need a scan, which stored
reports are stale, and the run index built from per-digest outcomes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from regscan.common.discovery import ImageEntry
from regscan.common.layout import report_key
from regscan.common.reports import CheckResult, Report, RunImage, RunIndex, ScannerInfo


def is_current(made_with: ScannerInfo, scanner: ScannerInfo) -> bool:
    """A report made with `made_with` is current for `scanner`: same scanner, version, DB."""
    return made_with.same_as(scanner)


def reusable(stored: Report | None, scanner: ScannerInfo, rescan: bool) -> bool:
    """Reuse a stored report unless asked to rescan or it was made with another scanner/DB."""
    return stored is not None and not rescan and is_current(stored.scanner, scanner)


def stale_reports(
    stored: Iterable[tuple[str, Report]], scanner: ScannerInfo
) -> list[tuple[str, Report]]:
    """(digest, report) made by this scanner with another version or DB, by digest."""
    return sorted(
        (
            (digest, report)
            for digest, report in stored
            if report.scanner.name == scanner.name and not is_current(report.scanner, scanner)
        ),
        key=lambda pair: pair[0],
    )


def stale_digests(stored: Iterable[tuple[str, Report]], scanner: ScannerInfo) -> list[str]:
    """Digests whose report this scanner made with another version or DB (rescan these)."""
    return [digest for digest, _ in stale_reports(stored, scanner)]


def split_stale(
    stored: Iterable[tuple[str, Report]],
    scanner: ScannerInfo,
    restamp: Callable[[Report], object | None],
) -> tuple[list[str], list[str]]:
    """After a DB update: (digests to re-scan, digests re-stamped) among the stale reports;
    `restamp` (the adapter's `revalidate`) re-stamps a report the update cannot change and
    returns None for one it can."""
    rescan: list[str] = []
    restamped: list[str] = []
    for digest, report in stale_reports(stored, scanner):
        (rescan if restamp(report) is None else restamped).append(digest)
    return rescan, restamped


def by_digest(images: Iterable[ImageEntry]) -> dict[str, list[ImageEntry]]:
    """Each digest once, with every discovered entry (repository, tags) that has it."""
    groups: dict[str, list[ImageEntry]] = {}
    for img in images:
        groups.setdefault(img.digest, []).append(img)
    return groups


@dataclass(frozen=True)
class Outcome:
    """What became of one digest: its report and verdict, or why it failed."""

    report: Report | None
    reused: bool = False
    verdict: CheckResult | None = None
    error: str | None = None
    error_code: str | None = None


def run_entry(image: ImageEntry, out: Outcome) -> RunImage:
    if out.report is None:
        return RunImage.of(
            image, "failed", error=out.error or "unknown error", errorCode=out.error_code
        )
    return RunImage.of(
        image,
        "ok",
        reused=out.reused,
        summary=out.report.summary,
        severity=out.report.severity,
        policy=out.verdict or CheckResult(passed=True),
        report=report_key(image.digest),
        scannedWith=out.report.scanner,
    )


def build_index(
    run_id: str,
    registry_url: str,
    images: Sequence[ImageEntry],
    outcomes: Mapping[str, Outcome],
    scanner: ScannerInfo,
    started: str,
    completed: str,
) -> RunIndex:
    """One entry per discovered image, in discovery order; counts per unique digest."""
    index = RunIndex(
        runId=run_id,
        registry=registry_url,
        startedAt=started,
        completedAt=completed,
        scanner=scanner,
        images=[run_entry(img, outcomes[img.digest]) for img in images],
    )
    return index.counted()
