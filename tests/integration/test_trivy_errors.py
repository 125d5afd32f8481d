"""Real Trivy failures classified by cause: local filesystem, disk full, 401, 403, not
found, network, timeout — each its own code, message and `can_retry`.

Trivy runs for real against the bench registry and the fixture DB. The pod's conditions
are made real too: Trivy as uid 65532 (as the Job's pod runs it) through `setpriv`, and a
full disk through a 4 KiB tmpfs in a private mount namespace (`unshare -m`); those cases
skip, saying why, where the tools or privileges are missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from job_images.scanning.adapters.base import AdapterError
from job_images.scanning.adapters.trivy import TrivyScanner
from job_images.scanning.scanner import ImageRef, ScannerOptions
from tests.bench import servers
from tests.bench.catalog import SampleCatalog
from tests.bench.faults import FaultProxy, Rule

POD_UID = 65532


def _wrapper(path: Path, body: str) -> str:
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return str(path)


def _as_pod_user(tmp: Path, trivy: str) -> str:
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) not found: cannot run Trivy as a non-root user")
    ids = f"--reuid={POD_UID} --regid={POD_UID} --clear-groups"
    return _wrapper(tmp / "trivy-as-pod", f'exec setpriv {ids} {trivy} "$@"')


def _on_full_disk(tmp: Path, trivy: str, cache: Path) -> str:
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=4k tmpfs {tmp}"],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (unshare -m): {probe.stderr.strip()}")
    mount = f"mount -t tmpfs -o size=4k tmpfs {cache}"
    return _wrapper(
        tmp / "trivy-full-disk", f'exec unshare -m sh -c \'{mount} && exec {trivy} "$@"\' sh "$@"'
    )


def _prepare_fails(**options: object) -> AdapterError:
    scanner = TrivyScanner(ScannerOptions(**options))  # type: ignore[arg-type]
    with pytest.raises(AdapterError) as err:
        scanner.prepare()
    return err.value


def _one_line_without_registry_words(err: AdapterError) -> None:
    assert "\n" not in err.message
    assert "access denied" not in err.message and "credentials" not in err.message


def test_db_cache_below_a_regular_file(trivy_db_ref: str, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x")
    err = _prepare_fails(cache_dir=str(tmp_path / "a-file" / "cache"), db_repository=trivy_db_ref)
    assert (err.error_code, err.can_retry) == ("LocalFilesystem", False)
    assert "a local filesystem problem, not a registry one" in err.message
    assert str(tmp_path / "a-file") in err.message and "not a directory" in err.message
    _one_line_without_registry_words(err)


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A folder others can enter (pytest's tmp_path is under a 0700 folder of root's)."""
    path = Path(tempfile.mkdtemp(prefix="regscan-trivy-errors-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_db_cache_not_writable_by_the_pod_user(
    trivy_bin: str, trivy_db_ref: str, open_dir: Path
) -> None:
    """The issue's case: `mkdir …/db: permission denied` is not a registry refusal."""
    cache = open_dir / "cache"  # root's, 0755: the pod's user cannot write it
    cache.mkdir(mode=0o755)
    err = _prepare_fails(
        trivy=_as_pod_user(open_dir, trivy_bin), cache_dir=str(cache), db_repository=trivy_db_ref
    )
    assert (err.error_code, err.can_retry) == ("LocalFilesystem", False)
    assert f"cannot write {cache}/" in err.message and "(permission denied)" in err.message
    assert "mkdir" in err.detail and "permission denied" in err.detail
    _one_line_without_registry_words(err)


def test_db_download_on_a_full_disk(trivy_bin: str, trivy_db_ref: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    err = _prepare_fails(
        trivy=_on_full_disk(tmp_path, trivy_bin, cache),
        cache_dir=str(cache),
        db_repository=trivy_db_ref,
    )
    assert (err.error_code, err.can_retry) == ("DiskFull", False), (err.message, err.detail)
    assert "no space left" in err.message and str(cache) in err.message
    _one_line_without_registry_words(err)


def test_db_mirror_faults(
    trivy_bin: str,
    registry: servers.Registry,
    registry_basic: servers.Registry,
    tmp_path: Path,
) -> None:
    dead = f"127.0.0.1:{servers.free_port()}"
    table = [
        # (mirror, code, can_retry, the message says)
        (f"{registry_basic.host}/mirror/trivy-db", "Unauthorized", False, "HTTP 401"),
        (f"{registry.host}/nothing/here", "DBNotFound", False, "check --db-repository"),
        (f"{dead}/mirror/trivy-db", "Unreachable", True, "registry unreachable"),
    ]
    for i, (mirror, code, retry, says) in enumerate(table):
        err = _prepare_fails(
            trivy=trivy_bin, cache_dir=str(tmp_path / f"c{i}"), db_repository=mirror
        )
        assert (err.error_code, err.can_retry) == (code, retry), (mirror, err.message)
        assert says in err.message and "\n" not in err.message


DENIED = json.dumps(
    {"errors": [{"code": "DENIED", "message": "requested access to the resource is denied"}]}
).encode()


def test_sbom_faults(
    trivy_bin: str,
    trivy_cache: Path,
    registry: servers.Registry,
    registry_basic: servers.Registry,
    samples: SampleCatalog,
    proxy: FaultProxy,
) -> None:
    digest = samples.python_digest
    scanner = TrivyScanner(
        ScannerOptions(trivy=trivy_bin, cache_dir=str(trivy_cache), skip_db_update=True, timeout=3)
    )
    table = [
        # (image, proxy rule, code, can_retry, the message says)
        (
            ImageRef(registry_basic.url, registry_basic.host, "samples/python", digest),
            None,
            "Unauthorized",
            False,
            "give credentials with pull access",
        ),
        (
            ImageRef(proxy.url, proxy.host, "samples/python", digest),
            Rule(
                r"/manifests/",
                status=403,
                body=DENIED,
                headers={"Content-Type": "application/json"},
            ),
            "Forbidden",
            False,
            "lack pull permission",
        ),
        (
            ImageRef(registry.url, registry.host, "samples/python", "sha256:" + "0" * 64),
            None,
            "ImageNotFound",
            False,
            "image not found",
        ),
        (
            ImageRef(proxy.url, proxy.host, "samples/python", digest),
            Rule(r"/manifests/", status=0, delay=8),
            "Timeout",
            True,
            "timed out",
        ),
    ]
    for image, rule, code, retry, says in table:
        proxy.clear()
        if rule is not None:
            proxy.add(rule)
        with pytest.raises(AdapterError) as err:
            scanner.make_sbom(image, None)
        assert (err.value.error_code, err.value.can_retry) == (code, retry), err.value.message
        assert says in err.value.message and "\n" not in err.value.message
