"""The `harbor` adapter opened from a Job's options: the mounted token file and the
scheme of `spec.scanner.authScheme` decide the header (no request is made)."""

from __future__ import annotations

from pathlib import Path

import pytest

from job_images.scanning.adapters import get_adapter
from job_images.scanning.adapters.harbor_remote import HarborRemoteAdapter
from job_images.scanning.scanner import ScannerOptions


def test_a_jobs_token_file_and_scheme_win_over_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = tmp_path / "token"
    token.write_text("from-secret\n")  # a Secret's value often ends in a newline
    monkeypatch.setenv("REGSCAN_SCANNER_TOKEN_FILE", "/nonexistent")
    monkeypatch.setenv("REGSCAN_SCANNER_AUTH", "basic")
    options = ScannerOptions(
        name="harbor", url="http://127.0.0.1:9", token_file=str(token), auth_scheme="apikey"
    )
    adapter = get_adapter("harbor", options)
    assert isinstance(adapter, HarborRemoteAdapter)
    assert adapter._client.headers["X-ScannerAdapter-API-Key"] == "from-secret"
    assert "Authorization" not in adapter._client.headers
