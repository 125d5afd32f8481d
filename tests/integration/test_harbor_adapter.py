"""The `harbor` scanner adapter against a real Harbor-compatible server: `regscan serve`
on the bench (basic-auth registry, Trivy with the fixture DB). Its findings must equal the
direct Trivy adapter's on the same images."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from job_images.credentials import Credentials
from job_images.scanning import artifacts
from job_images.scanning.adapters import open_adapter
from job_images.scanning.adapters.base import AdapterError, AdapterSettings
from job_images.scanning.adapters.harbor_remote import HarborRemoteAdapter
from job_images.scanning.policy import Policy
from job_images.scanning.scanner import ImageRef, ScannerOptions
from job_images.store.backends import FilesystemStore
from regscan.common import layout
from regscan.common.reports import RunIndex
from tests.bench.serve import TOKEN, Served
from tests.integration.helpers import adapter as trivy_adapter
from tests.integration.helpers import regscan


def _image(served: Served, repository: str) -> ImageRef:
    reg = served.registry
    return ImageRef(reg.url, reg.host, repository, served.digests[repository], ("1.0",))


def _harbor(served: Served, store: FilesystemStore, token: str = TOKEN) -> HarborRemoteAdapter:
    remote = HarborRemoteAdapter(served.url, timeout=120, env={"REGSCAN_SCANNER_TOKEN": token})
    remote.configure(AdapterSettings(store=store))
    return remote


@pytest.mark.parametrize("repository", ["team/py", "team/app"])
def test_same_findings_as_trivy(
    served: Served, trivy_cache: Path, trivy_bin: str, tmp_path: Path, repository: str
) -> None:
    creds = Credentials(*(served.registry.auth or ("", "")))
    image = _image(served, repository)
    via_harbor = _harbor(served, FilesystemStore(tmp_path / "h")).scan_image(image, creds)
    direct_store = FilesystemStore(tmp_path / "t")
    direct = trivy_adapter(direct_store, trivy_cache, trivy_bin).scan_image(image, creds)
    assert via_harbor.report.vulnerabilities == direct.report.vulnerabilities
    assert via_harbor.report.vulnerabilities  # the planted CVEs, not an empty match
    assert via_harbor.report.summary == direct.report.summary
    assert via_harbor.report.scanner.db_updated_at == direct.report.scanner.db_updated_at
    h = tmp_path / "h"
    assert (h / layout.report_key(image.digest)).is_file()
    assert json.loads((h / layout.sarif_key(image.digest)).read_text())["version"] == "2.1.0"
    sbom = artifacts.load_sbom(FilesystemStore(h), image.digest)  # the server's SPDX SBOM
    assert sbom is not None and json.loads(sbom)["spdxVersion"].startswith("SPDX-")


@pytest.mark.parametrize(
    ("token", "password", "code", "retry"),
    [
        ("wrong-token", None, "Unauthorized", False),
        (TOKEN, "wrong-password", "ScannerUnavailable", True),  # the server's 500
    ],
)
def test_errors(
    served: Served, tmp_path: Path, token: str, password: str | None, code: str, retry: bool
) -> None:
    user, real = served.registry.auth or ("", "")
    remote = _harbor(served, FilesystemStore(tmp_path), token)
    image = _image(served, "team/app")
    image = ImageRef(image.registry_url, image.registry, "team/missing", "sha256:" + "1" * 64)
    with pytest.raises(AdapterError) as info:
        remote.scan_image(image, Credentials(user, password or real))
    assert (info.value.error_code, info.value.can_retry) == (code, retry)
    assert "wrong-password" not in str(info.value) and real not in str(info.value)


def test_unreachable_server_is_retryable(tmp_path: Path) -> None:
    from tests.bench.servers import free_port

    options = ScannerOptions(name="harbor", url=f"http://127.0.0.1:{free_port()}")
    remote = open_adapter(options, FilesystemStore(tmp_path), Policy())
    with pytest.raises(AdapterError) as info:
        remote.prepare()
    assert info.value.can_retry and info.value.error_code == "ScannerUnavailable"


def test_cli_scan_with_harbor_scanner(served: Served, tmp_path: Path) -> None:
    user, password = served.registry.auth or ("", "")
    out = tmp_path / "out"
    proc = regscan(
        "scan", "--registry", served.registry.url,
        "--repository", "team/app", "--repository", "team/py",
        "--username", user, "--password-stdin", "--output-dir", str(out),
        "--scanner", "harbor", "--scanner-url", served.url,
        stdin=password + "\n", env={"REGSCAN_SCANNER_TOKEN": TOKEN},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    index = RunIndex.model_validate_json((out / "runs" / "latest.json").read_bytes())
    assert {i.repository for i in index.images} == {"team/app", "team/py"}
    assert index.failed == 0 and index.totals.total == 3  # 2 alpine + 1 python CVE
    assert TOKEN not in proc.stdout + proc.stderr and password not in proc.stdout + proc.stderr


def test_cli_harbor_needs_url(tmp_path: Path) -> None:
    proc = regscan("scan", "--registry", "http://127.0.0.1:1", "--scanner", "harbor",
                   "--output-dir", str(tmp_path))  # fmt: skip
    assert proc.returncode == 2 and "scanner-url" in proc.stderr
