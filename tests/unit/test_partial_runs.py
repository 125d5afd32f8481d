"""Partial runs: marked in the run index and the table, an exit code of their own, and
`runs/latest.json` left on the last complete run (fake scanner, real FilesystemStore)."""

from __future__ import annotations

from pathlib import Path

import pytest

from job_images.scanning.adapters.base import AdapterError
from job_images.scanning.pipeline import ScanOptions, scan_images
from job_images.scanning.policy import Policy
from job_images.scanning.table import render_table
from job_images.store.backends import FilesystemStore
from regscan.cli.scan import exit_code, publish
from regscan.common import layout
from regscan.common.reports import RunIndex, mark_partial
from tests.unit.fake_scanner import NOW, D, FakeScanner, entry, make_adapter, vuln

IMAGES = [entry(D[0], "app", "v1"), entry(D[1], "db", "v1")]


def _index(
    tmp_path: Path, failing: set[str], discovery_errors: int, fail_on: str | None = None
) -> tuple[RunIndex, FilesystemStore]:
    scanner = FakeScanner({D[0]: [vuln("CVE-1", "CRITICAL", "1.1")]})
    scanner.failures = {d: [AdapterError("crash", can_retry=False)] for d in failing}
    adapter, store = make_adapter(tmp_path, scanner, Policy(fail_on=fail_on))
    index = scan_images(
        IMAGES, adapter, store, None, ScanOptions("run-1", "http://reg", retries=0), now=lambda: NOW
    )
    return mark_partial(index, discovery_errors), store


@pytest.mark.parametrize(
    ("failing", "discovery_errors", "fail_on", "partial", "code"),
    [
        (set(), 0, None, False, 0),
        (set(), 0, "HIGH", False, 3),
        ({D[1]}, 0, None, True, 4),
        (set(), 2, None, True, 4),
        ({D[1]}, 0, "HIGH", True, 3),  # a failed gate wins over partial
        ({D[0], D[1]}, 0, None, True, 1),  # nothing scanned: operational failure
    ],
)
def test_partial_flag_and_exit_code(
    tmp_path: Path,
    failing: set[str],
    discovery_errors: int,
    fail_on: str | None,
    partial: bool,
    code: int,
) -> None:
    index, _ = _index(tmp_path, failing, discovery_errors, fail_on)
    assert index.partial is partial and index.discovery_errors == discovery_errors
    assert exit_code(index) == code
    table = render_table(index)
    assert ("PARTIAL RUN:" in table) is partial
    if partial:
        assert f"{index.failed} images failed, {discovery_errors} repositories/tags" in table


def test_latest_names_the_last_complete_run(tmp_path: Path) -> None:
    complete, store = _index(tmp_path, set(), 0)
    publish(store, complete)
    partial = mark_partial(complete.model_copy(update={"run_id": "run-2"}), 1)
    publish(store, partial)
    latest = RunIndex.model_validate_json(store.get(layout.LATEST_RUN_KEY) or b"")
    assert latest.run_id == "run-1" and not latest.partial
    kept = RunIndex.model_validate_json(store.get(layout.run_index_key("run-2")) or b"")
    assert kept.partial and kept.discovery_errors == 1
