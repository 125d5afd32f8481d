"""Every key the layout builds lives in a documented top-level folder (pure)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from regscan.common import layout

D = "sha256:" + "b" * 64
README = (Path(__file__).resolve().parents[2] / "README.md").read_text()

KEYS = [
    layout.sbom_key(D),
    layout.cyclonedx_key(D),
    layout.package_index_key(D),
    layout.db_fingerprint_key("trivy", "2026-11-01T00:00:00Z"),
    layout.rescan_plan_key("scan-1"),
    layout.report_key(D),
    layout.sarif_key(D),
    layout.LATEST_RUN_KEY,
    layout.run_index_key("scan-1"),
    layout.discovery_key("scan-1"),
    layout.discovery_cache_key("reg-discovery"),
    layout.shard_key("scan-1", 3),
    layout.shard_result_key("scan-1", 3),
    layout.inventory_key("reg.example.com:5000", "0123456789abcdef"),
]


@pytest.mark.parametrize("key", KEYS)
def test_every_key_is_under_a_known_top_level_folder(key: str) -> None:
    assert key.startswith(layout.TOP_LEVEL), key


@pytest.mark.parametrize("folder", layout.TOP_LEVEL)
def test_readme_layout_table_documents_every_top_level_folder(folder: str) -> None:
    assert re.search(rf"^\| `{re.escape(folder)}", README, re.M), f"{folder} not in README table"
