"""One `trivy server` per run: the same reports as one process per call, and a server that
cannot start falls back to that (real registry, real Trivy, fixture DB)."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest

from job_images.scanning.adapters import open_adapter
from job_images.scanning.adapters.base import ScannerAdapter
from job_images.scanning.adapters.trivy_twirp import ScanMemo, sbom_id
from job_images.scanning.pipeline import ScanOptions, scan_images
from job_images.scanning.policy import Policy
from job_images.scanning.scanner import ScannerOptions
from job_images.store.backends import FilesystemStore
from regscan.common import layout
from regscan.common.reports import Report
from tests.bench import servers
from tests.bench.catalog import SampleCatalog
from tests.integration.helpers import images_of

pytestmark = pytest.mark.usefixtures("trivy_bin")


def _adapter(
    store: FilesystemStore, cache: Path, server: bool, trivy: str | None = None,
    long_lived: bool = False,
) -> ScannerAdapter:  # fmt: skip
    options = ScannerOptions(trivy=trivy, cache_dir=str(cache), skip_db_update=True,
                             timeout=120, server=server, long_lived=long_lived)  # fmt: skip
    return open_adapter(options, store, Policy())


def _findings(store: FilesystemStore, digest: str) -> list[tuple[str, str, str, str]]:
    report = Report.model_validate_json(store.get(layout.report_key(digest)) or b"")
    return sorted(
        (v.id, v.package, v.installed_version, v.severity) for v in report.vulnerabilities
    )


def _scan(registry: servers.Registry, store: FilesystemStore, adapter: ScannerAdapter) -> list[str]:
    found = images_of(registry, "samples/*")
    index = scan_images(found, adapter, store, None, ScanOptions("run-1", registry.url, 2))
    assert index.failed == 0
    return sorted({i.digest for i in found})


def test_server_and_per_process_give_the_same_reports(
    registry: servers.Registry, samples: SampleCatalog, trivy_cache: Path, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    with_server, without = FilesystemStore(tmp_path / "a"), FilesystemStore(tmp_path / "b")
    served = _adapter(with_server, trivy_cache, True)
    digests = _scan(registry, with_server, served)
    assert served.scanner.server_url.startswith("http://127.0.0.1:")  # type: ignore[attr-defined]
    second = _adapter(FilesystemStore(tmp_path / "c"), trivy_cache, True)  # same DB cache
    second.prepare()  # a second run beside the first does not wait for its cache lock
    assert second.scanner.server_url not in (None, served.scanner.server_url)  # type: ignore[attr-defined]
    home = Path(served.scanner._server._home)  # type: ignore[attr-defined]
    assert not (home / "fanal").exists()  # a run's server keeps its layer cache in memory
    served.scanner.close()  # type: ignore[attr-defined]
    _scan(registry, without, _adapter(without, trivy_cache, False))
    on_disk = FilesystemStore(tmp_path / "d")
    lasting = _adapter(on_disk, trivy_cache, True, long_lived=True)  # as `regscan serve`'s
    _scan(registry, on_disk, lasting)
    home = Path(lasting.scanner._server._home)  # type: ignore[attr-defined]
    assert (home / "fanal" / "fanal.db").stat().st_size > 0  # its layer cache is on disk
    lasting.scanner.close()  # type: ignore[attr-defined]
    assert len(digests) == 6
    for digest in digests:
        assert _findings(with_server, digest) == _findings(without, digest)
        assert _findings(on_disk, digest) == _findings(without, digest)
        assert with_server.get(layout.sbom_key(digest)) and without.get(layout.sbom_key(digest))


def test_a_server_that_cannot_start_falls_back(
    registry: servers.Registry, samples: SampleCatalog, trivy_cache: Path, tmp_path: Path,
    trivy_bin: str, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    wrapper = tmp_path / "trivy"
    wrapper.write_text(
        f'#!/bin/sh\nif [ "$1" = server ]; then echo "listen: permission denied" >&2; exit 3; fi\n'
        f'exec {trivy_bin} "$@"\n'
    )
    wrapper.chmod(0o755)
    store = FilesystemStore(tmp_path / "s")
    logger = logging.getLogger("regscan.scan")  # the CLI's tests may stop propagation
    logger.addHandler(caplog.handler)
    try:
        adapter = _adapter(store, trivy_cache, True, str(wrapper))
        digests = _scan(registry, store, adapter)
    finally:
        logger.removeHandler(caplog.handler)
    assert adapter.scanner.server_url is None  # type: ignore[attr-defined]
    assert any("trivy server exited at start; scanning without a server" in r.message
               and "permission denied" in r.message for r in caplog.records)  # fmt: skip
    assert all(store.get(layout.report_key(d)) for d in digests)
    assert not any(store.get(layout.scan_memo_key(d)) for d in digests)  # no server: no memo


def test_a_memo_that_does_not_fit_or_fails_is_not_used(
    registry: servers.Registry, samples: SampleCatalog, trivy_cache: Path, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    """A rescan replays each digest's memo to the server; a memo that is corrupt, made by
    another Trivy, or refused by the server is not used: a `trivy sbom` process scans the
    SBOM (same findings) and its requests replace the memo."""
    store = FilesystemStore(tmp_path / "s")
    digests = _scan(registry, store, _adapter(store, trivy_cache, True))
    first = {d: _findings(store, d) for d in digests}
    memos = {d: store.get(layout.scan_memo_key(d)) or b"" for d in digests}
    assert all(ScanMemo.from_bytes(m) for m in memos.values())
    good = ScanMemo.from_bytes(memos[digests[0]])
    assert good is not None
    bad = {
        digests[1]: b"corrupt",
        digests[2]: dataclasses.replace(good, trivy_version="0.1.0").to_bytes(),
        # well framed, but the server cannot decode the blob: its replay fails
        digests[3]: dataclasses.replace(good, put_blob=b"\x0a\x01k\x1a\x02\xff\xff",
                                        sbom=sbom_id(store.get(layout.sbom_key(digests[3])) or b"")
                                        ).to_bytes(),
    }  # fmt: skip
    for digest, memo in bad.items():
        store.put(layout.scan_memo_key(digest), memo)
    logger = logging.getLogger("regscan.scan")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO, "regscan.scan")
    try:
        adapter = _adapter(store, trivy_cache, True)
        found = images_of(registry, "samples/*")
        options = ScanOptions("run-2", registry.url, 2, rescan=True)
        assert scan_images(found, adapter, store, None, options).failed == 0
    finally:
        logger.removeHandler(caplog.handler)
    for digest in digests:
        memo = store.get(layout.scan_memo_key(digest))
        assert _findings(store, digest) == first[digest], digest
        assert (memo == memos[digest]) == (digest not in bad), digest  # replayed: kept
        assert ScanMemo.from_bytes(memo) is not None, digest  # remade where it did not fit
    failed = {r.message for r in caplog.records if "scan memo not replayed" in r.message}
    assert len(failed) == 1 and "HTTP 400" in failed.pop()


def test_the_server_ends_when_regscan_is_killed(trivy_cache: Path, tmp_path: Path) -> None:
    """SIGKILL leaves no orphaned `trivy server` behind (PR_SET_PDEATHSIG)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    script = (
        "import sys, time\n"
        "from job_images.scanning.adapters.trivy import TrivyScanner\n"
        "from job_images.scanning.scanner import ScannerOptions\n"
        f"s = TrivyScanner(ScannerOptions(cache_dir={str(trivy_cache)!r}, skip_db_update=True))\n"
        "s.prepare()\n"
        "assert s.server_url\n"  # listening: setpriv has set the parent-death signal by then
        "print(s._server._proc.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        server_pid = int((proc.stdout.readline() if proc.stdout else "").strip())
        os.kill(server_pid, 0)  # running
    finally:
        proc.kill()
        proc.wait()
    for _ in range(100):
        try:
            os.kill(server_pid, 0)
        except ProcessLookupError:
            return
        if Path(f"/proc/{server_pid}/stat").read_text().split(")")[1].split()[0] == "Z":
            return  # exited; a zombie until init reaps it
        time.sleep(0.1)
    os.kill(server_pid, signal.SIGKILL)
    raise AssertionError(f"trivy server {server_pid} outlived its regscan process")


def test_the_server_is_launched_at_prepare_and_waited_for_at_first_use(trivy_cache: Path) -> None:
    """A run that reuses every report never waits for the server it launched."""
    from job_images.scanning.adapters.trivy import TrivyScanner

    scanner = TrivyScanner(ScannerOptions(cache_dir=str(trivy_cache), skip_db_update=True))
    scanner.prepare()
    try:
        launched = scanner._server
        assert launched is not None and launched.url is None  # launched, not waited for
        url = scanner.server_url
        assert url is not None and url == launched.url and url.startswith("http://127.0.0.1:")
    finally:
        scanner.close()
    assert scanner.server_url is None
