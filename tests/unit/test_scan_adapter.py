"""The Harbor-style adapter over a fake Scanner and the real FilesystemStore, `regscan check`
on the stored results, and the typed factories (milliseconds, no Trivy).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from job_images.scanning.adapters import get_adapter, open_adapter, open_stored_results
from job_images.scanning.adapters.base import AdapterError
from job_images.scanning.policy import AllowEntry, Policy, policy_from_spec
from job_images.scanning.scanner import ImageRef, ScannerOptions
from regscan.cli.main import main
from regscan.common import layout
from regscan.common.errors import InvalidInput
from regscan.common.harbor_api import CYCLONEDX, SPDX
from regscan.common.registry import AllowlistEntry, PolicySpec
from regscan.common.reports import Report
from tests.unit.fake_scanner import DB2, D, FakeScanner, entry, make_adapter, ref, vuln

FINDINGS = {D[0]: [vuln("CVE-1", "CRITICAL", "1.1"), vuln("CVE-2", "HIGH")]}


def test_scan_image_builds_report_from_image_ref(tmp_path: Path) -> None:
    scanner = FakeScanner(FINDINGS)
    adapter, store = make_adapter(tmp_path, scanner)
    image = ImageRef.of_entries(
        "http://reg:5000", [entry(D[0], "app", "v2", "v1"), entry(D[0], "mirror", "latest")]
    )
    assert image.tags == ("latest", "v1", "v2") and image.repository == "app"
    result = adapter.scan_image(image, None)
    assert not result.sbom_reused and result.check.passed
    assert result.report.artifact == image.artifact
    assert result.report.summary.critical == 1 and result.report.severity == "CRITICAL"
    assert adapter.scan_image(image, None).sbom_reused  # content-addressed SBOM reused
    assert scanner.steps("sbom") == [D[0]]
    stored = Report.model_validate_json(store.get(layout.report_key(D[0])) or b"")
    assert stored.vulnerabilities == result.report.vulnerabilities


def test_invalid_sbom_is_a_retryable_error_and_not_stored(tmp_path: Path) -> None:
    scanner = FakeScanner()
    scanner.make_sbom = lambda image, credentials: b'{"spdxVersion": "SPDX-2.3"'  # type: ignore[method-assign]
    adapter, store = make_adapter(tmp_path, scanner)
    with pytest.raises(AdapterError) as err:
        adapter.scan_image(ref(D[0]), None)
    assert err.value.can_retry and not store.exists(layout.sbom_key(D[0]))


def test_rescan_image_never_makes_an_sbom_when_one_is_stored(tmp_path: Path) -> None:
    scanner = FakeScanner(FINDINGS)
    adapter, _store = make_adapter(tmp_path, scanner)
    first = adapter.rescan_image(ref(D[0]), None, None)  # nothing stored: a scan
    assert not first.sbom_reused and scanner.steps("sbom") == [D[0]]
    again = adapter.rescan_image(ref(D[0]), None, first.report)
    assert again.sbom_reused and scanner.steps("sbom") == [D[0]]
    assert scanner.steps("vulns") == [D[0], D[0]]


def test_notify_image_deleted_removes_sbom_report_and_sarif(tmp_path: Path) -> None:
    adapter, store = make_adapter(tmp_path, FakeScanner(FINDINGS))
    adapter.scan_image(ref(D[0]), None)
    adapter.scan_image(ref(D[1]), None)
    keys = [layout.sbom_key(D[0]), layout.report_key(D[0]), layout.sarif_key(D[0])]
    assert all(store.exists(k) for k in keys)
    adapter.notify_image_deleted(ref(D[0]))
    assert not any(store.exists(k) for k in keys)
    assert store.exists(layout.report_key(D[1])) and store.exists(layout.sbom_key(D[1]))


class RenderingScanner(FakeScanner):
    """A fake scanner that can also render SBOMs as CycloneDX (as Trivy does)."""

    def convert_sbom(self, sbom: bytes, media_type: str) -> bytes:
        self.calls.append(("convert", media_type))
        names = [p["name"] for p in json.loads(sbom)["packages"]]
        return json.dumps({"bomFormat": "CycloneDX", "components": names}).encode()


def test_cyclonedx_is_rendered_once_then_kept_beside_the_spdx_sbom(tmp_path: Path) -> None:
    scanner = RenderingScanner(FINDINGS)
    adapter, store = make_adapter(tmp_path, scanner)
    assert adapter.sbom_media_types() == (SPDX, CYCLONEDX)
    assert adapter.stored_sbom(D[0], CYCLONEDX) is None  # no SBOM stored yet: nothing to render
    adapter.scan_image(ref(D[0]), None)
    first = adapter.stored_sbom(D[0], CYCLONEDX)
    assert first is not None and json.loads(first)["components"] == ["app"]
    assert adapter.stored_sbom(D[0], CYCLONEDX) == first
    assert scanner.steps("convert") == [CYCLONEDX]  # the second answer came from the store
    assert store.get(layout.cyclonedx_key(D[0])) == first
    assert adapter.stored_sbom(D[0], SPDX) == store.get(layout.sbom_key(D[0]))
    adapter.notify_image_deleted(ref(D[0]))
    assert not store.exists(layout.cyclonedx_key(D[0]))


def test_a_scanner_without_rendering_serves_spdx_only(tmp_path: Path) -> None:
    adapter, _store = make_adapter(tmp_path, FakeScanner(FINDINGS))
    adapter.scan_image(ref(D[0]), None)
    assert adapter.sbom_media_types() == (SPDX,)
    with pytest.raises(AdapterError) as err:
        adapter.stored_sbom(D[0], CYCLONEDX)
    assert err.value.error_code == "Unsupported" and not err.value.can_retry


@pytest.mark.parametrize(
    ("policy", "passed", "reason"),
    [
        (Policy(), True, None),
        (Policy(fail_on="CRITICAL"), False, "1 finding(s) at or above CRITICAL"),
        (Policy(fail_on="HIGH"), False, "2 finding(s) at or above HIGH"),
        (Policy(fail_on="HIGH", only_fixable=True), False, "1 finding(s) at or above HIGH"),
        (Policy(fail_on="HIGH", allowlist=(AllowEntry("CVE-1"), AllowEntry("CVE-2"))), True, None),
    ],
)
def test_check_image_verdicts(
    tmp_path: Path, policy: Policy, passed: bool, reason: str | None
) -> None:
    adapter, _ = make_adapter(tmp_path, FakeScanner(FINDINGS), policy)
    assert adapter.check_image(ref(D[0])).reasons == ["not scanned yet"]
    adapter.scan_image(ref(D[0]), None)
    result = adapter.check_image(ref(D[0]))
    assert result.passed is passed
    assert (result.reasons[0] if result.reasons else None) == reason


def test_handle_notification(tmp_path: Path) -> None:
    scanner = FakeScanner(FINDINGS)
    adapter, store = make_adapter(tmp_path, scanner)
    adapter.scan_image(ref(D[0]), None)
    adapter.scan_image(ref(D[1]), None)
    store.put(layout.report_key(D[2]), b"{corrupt")  # unreadable: skipped, not fatal
    assert adapter.handle_notification({"type": "db-updated"}) == []
    assert adapter.handle_notification({"type": "db-updated", "dbUpdatedAt": DB2}) == D[:2]
    assert adapter.handle_notification({"type": "image-pushed"}) == []
    scanner.db = DB2
    assert adapter.handle_notification({"type": "db-updated"}) == D[:2]


def test_stored_results_adapter_judges_but_never_scans(tmp_path: Path) -> None:
    adapter, store = make_adapter(tmp_path, FakeScanner(FINDINGS))
    adapter.scan_image(ref(D[0]), None)
    reader = open_stored_results(store, Policy(fail_on="CRITICAL"))
    assert not reader.check_image(ref(D[0])).passed
    with pytest.raises(AdapterError, match="stored results only"):
        reader.scan_image(ref(D[1]), None)


def test_factories_check_options_before_looking_for_a_scanner(tmp_path: Path) -> None:
    _adapter, store = make_adapter(tmp_path, FakeScanner())
    with pytest.raises(InvalidInput, match="parallel"):
        open_adapter(ScannerOptions(trivy="/nonexistent", parallel=0), store, Policy())
    with pytest.raises(InvalidInput, match="skip-db-update"):
        open_adapter(ScannerOptions(trivy="/nonexistent", skip_db_update=True), store, Policy())
    with pytest.raises(AdapterError) as err:
        open_adapter(ScannerOptions(trivy=str(tmp_path / "no-trivy")), store, Policy())
    assert err.value.error_code == "ScannerMissing"
    with pytest.raises(InvalidInput, match="unknown scanner 'grype'"):
        get_adapter("grype")


def test_policy_from_spec() -> None:
    spec = PolicySpec(
        failOn="HIGH",
        onlyFixable=True,
        allowlist=[AllowlistEntry(id="CVE-1", expires=dt.date(2027, 1, 1))],
    )
    assert policy_from_spec(spec) == Policy(
        "HIGH", True, (AllowEntry("CVE-1", dt.date(2027, 1, 1)),)
    )
    assert policy_from_spec(PolicySpec()) == Policy()


def test_regscan_check_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    adapter, _store = make_adapter(tmp_path, FakeScanner(FINDINGS))
    adapter.scan_image(ref(D[0]), None)
    out = str(tmp_path / "store")

    def check(*args: str) -> tuple[int, str, str]:
        code = main(["check", out, *args])
        got = capsys.readouterr()
        return code, got.out, got.err

    code, line, _ = check("--image", D[0], "--fail-on", "high", "--allow", "CVE-1")
    assert code == 3 and line.startswith(f"FAIL {D[0]}: 1 finding(s) at or above HIGH: CVE-2")
    assert line.count("\n") == 1
    code, line, _ = check(
        "--image", f"reg:5000/app@{D[0]}", "--fail-on", "critical", "--allow", "CVE-1:2099-01-01"
    )
    assert code == 0 and line.startswith("PASS reg:5000/app@") and "CRITICAL" in line
    code, line, _ = check("--image", D[1], "--fail-on", "low")
    assert code == 2 and line.startswith(f"NOT-SCANNED {D[1]}")
    code, _, err = check("--image", "app:v1")  # needs a run index
    assert code == 2 and "no run index" in err
    code, _, err = check("--image", D[0], "--fail-on", "severe")
    assert code == 2 and "fail-on" in err
    code = main(["check", str(tmp_path / "missing"), "--image", D[0]])
    assert code == 2 and "is not a directory" in capsys.readouterr().err
