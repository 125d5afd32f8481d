"""Tag-filter evaluation errors against the real registry: counted per condition in the
discovery output, the run index and the Registry status; or, strict, fatal in one line."""

from __future__ import annotations

import json
from pathlib import Path

from regscan.common.reports import RunIndex
from tests.bench import servers
from tests.bench.catalog import SampleCatalog
from tests.integration.helpers import regscan, scan_args

# strict semver: 3.18, latest, 12, bookworm, 1.0 and stable cannot be parsed
MAJOR = "semver(tag).major() >= 1"


def test_discover_counts_errors_per_condition(
    registry: servers.Registry, samples: SampleCatalog
) -> None:
    proc = regscan(
        "discover", "--registry", registry.url, "--repository", "samples/*",
        "--tag-filter", MAJOR, "--tag-filter", "size(tag) > 0", "-q",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert sorted({tag for i in out["images"] for tag in i["tags"]}) == ["1.0.0", "3.18.4"]
    (failure,) = out["stats"]["filterErrors"]
    assert (failure["repository"], failure["condition"], failure["tags"]) == (
        "samples/*",
        "filter-0",
        6,
    )
    tag, _, message = failure["example"].partition(": ")
    assert tag in {"3.18", "latest", "12", "bookworm", "1.0", "stable"} and message
    assert out["stats"]["tagFilterErrors"] == 6
    assert out["errors"] == []  # not a discovery failure: the run is complete


def test_strict_filters_fail_the_run_in_one_line(
    registry: servers.Registry, samples: SampleCatalog
) -> None:
    proc = regscan(
        "discover", "--registry", registry.url, "--repository", "samples/python",
        "--tag-filter", MAJOR, "--strict-filters", "-q",
    )  # fmt: skip
    assert proc.returncode == 1 and proc.stdout == ""
    (line,) = proc.stderr.strip().splitlines()
    assert "condition 'filter-0' failed on samples/python:" in line
    assert "--strict-filters" in line


def test_scan_run_index_lists_filter_errors(
    registry: servers.Registry, samples: SampleCatalog, trivy_cache: Path, tmp_path: Path
) -> None:
    args = scan_args(
        registry.url, tmp_path, trivy_cache, "--repository", "samples/python", "--tag-filter", MAJOR
    )
    proc = regscan(*args)
    assert proc.returncode == 0, proc.stderr
    index = RunIndex.model_validate_json((tmp_path / "runs" / "latest.json").read_bytes())
    assert [(f.repository, f.condition, f.tags) for f in index.filter_errors] == [
        ("samples/python", "filter-0", 2)
    ]
    assert not index.partial and [i.tags for i in index.images] == [["1.0.0"]]
    assert "TAG FILTER: filter-0 (samples/python) could not be evaluated on 2 tags" in proc.stdout
