"""Against a real registry: a run where some repositories fail is partial (exit 4, marked,
`runs/latest.json` kept on the last complete run); progress lines on a non-terminal and
silence with -q; an S3 endpoint that is not S3 is one line."""

from __future__ import annotations

import json
from pathlib import Path

from regscan.common.reports import RunIndex
from tests.bench import servers
from tests.bench.catalog import SampleCatalog
from tests.bench.faults import FaultProxy, Rule
from tests.integration.helpers import regscan, scan_args


def test_discover_with_a_failing_repository_is_partial(
    proxy: FaultProxy, samples: SampleCatalog
) -> None:
    proxy.add(Rule(path=r"/v2/samples/debian/tags/list", status=500))
    out = regscan(
        "discover", "--registry", proxy.url, "--repository", "samples/*", "--retries", "0"
    )
    assert out.returncode == 4, out.stderr
    found = json.loads(out.stdout)
    assert {i["repository"] for i in found["images"]} == {"samples/alpine", "samples/python"}
    assert "samples/debian: registry" in out.stderr and "partial: 1 repositories/tags" in out.stderr
    assert "Traceback" not in out.stderr


def test_partial_scan_keeps_latest_on_the_complete_run(
    proxy: FaultProxy,
    samples: SampleCatalog,
    trivy_cache: Path,
    trivy_bin: str,
    tmp_path: Path,
) -> None:
    out = tmp_path / "results"
    args = scan_args(proxy.url, out, trivy_cache, "--repository", "samples/*", "--retries", "0")
    complete = regscan(*args)
    assert complete.returncode == 0, complete.stderr
    # not a terminal: concise progress lines, the last one with the totals
    lines = [ln for ln in complete.stderr.splitlines() if ln.startswith("progress: ")]
    assert lines and "scanned 6, reused 0, failed 0 of 6 digests" in lines[-1]
    first = RunIndex.model_validate_json((out / "runs" / "latest.json").read_bytes())
    assert not first.partial

    proxy.add(Rule(path=r"/v2/samples/debian/tags/list", status=500))
    partial = regscan(*args, "-q")
    assert partial.returncode == 4, partial.stderr
    assert "progress: " not in partial.stderr  # -q
    assert "PARTIAL RUN: 0 images failed, 1 repositories/tags" in partial.stdout
    assert "runs/latest.json still names the last complete run" in partial.stderr
    latest = RunIndex.model_validate_json((out / "runs" / "latest.json").read_bytes())
    assert latest.run_id == first.run_id
    run_ids = {p.name for p in (out / "runs").iterdir() if p.is_dir()} - {first.run_id}
    (second,) = run_ids
    index = RunIndex.model_validate_json((out / "runs" / second / "index.json").read_bytes())
    assert index.partial and index.discovery_errors == 1
    report = regscan("report", str(out), "--run", second)
    assert report.returncode == 0 and "PARTIAL RUN" in report.stdout


def test_s3_endpoint_that_is_not_s3(registry: servers.Registry, tmp_path: Path) -> None:
    out = regscan(
        "scan",
        "--registry",
        registry.url,
        "--s3-endpoint",
        registry.url,
        "--s3-bucket",
        "results",
        env={"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"},
        timeout=60,
    )
    assert out.returncode == 1
    assert out.stderr.strip().endswith("does not answer like S3 (InvalidResponseError); "
                                       "check --s3-endpoint")  # fmt: skip
    assert len(out.stderr.strip().splitlines()) == 1
