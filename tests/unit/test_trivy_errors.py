"""Trivy's error lines (captured from real runs, see tests/integration/test_trivy_errors.py)
classified by cause (pure table)."""

from __future__ import annotations

import errno

import pytest

from job_images.scanning.adapters.trivy_errors import classify, from_os_error

F = "FATAL\tFatal error\trun error: "
DB = F + "init error: DB error: failed to download vulnerability DB: OCI artifact error: "
IMG = F + 'image scan error: unable to find the specified image "r/a:1" in ["remote"]: '

CASES = [
    # (stderr, what, code, can_retry, the message says)
    (
        DB + "download error: failed to download /tmp/trivy-1/oci-download-2/db.tar.gz: mkdir "
        "/var/cache/trivy/db: permission denied",
        "vulnerability DB download",
        "LocalFilesystem",
        False,
        "cannot write /var/cache/trivy/db (permission denied): a local filesystem problem",
    ),
    (
        DB + "mkdir /tmp/x/afile: not a directory",
        "vulnerability DB download",
        "LocalFilesystem",
        False,
        "cannot write /tmp/x/afile (not a directory)",
    ),
    (
        DB + "open /cache/db/trivy.db: read-only file system",
        "vulnerability DB download",
        "LocalFilesystem",
        False,
        "(read-only file system)",
    ),
    (
        DB + "write /cache/db/trivy.db: no space left on device",
        "vulnerability DB download",
        "DiskFull",
        False,
        "no space left on the device holding /cache/db/trivy.db",
    ),
    (
        DB + "rename /c/.tmp /c/db: disk quota exceeded",
        "vulnerability DB download",
        "DiskFull",
        False,
        "no space left on the device holding /c/.tmp (disk quota exceeded)",
    ),
    (
        DB + "* GET http://r/v2/mirror/trivy-db/manifests/2: UNAUTHORIZED: authentication required",
        "vulnerability DB download",
        "Unauthorized",
        False,
        "give the DB mirror's credentials",
    ),
    (
        IMG
        + "* remote error: GET http://r/v2/a/manifests/1: UNAUTHORIZED: authentication required",
        "SBOM of r/a:1",
        "Unauthorized",
        False,
        "give credentials with pull access",
    ),
    (
        IMG + "* remote error: GET http://r/v2/a/manifests/1: DENIED: requested access to the "
        "resource is denied",
        "SBOM of r/a:1",
        "Forbidden",
        False,
        "(HTTP 403)",
    ),
    (
        IMG + 'GET https://gcr.io/v2/p/a/manifests/1: DENIED: Permission denied for "1" from '
        "request",
        "SBOM of r/a:1",
        "Forbidden",
        False,
        "lack pull permission",
    ),
    (IMG + "unexpected status code 403 Forbidden", "SBOM of r/a:1", "Forbidden", False, "403"),
    (
        DB + "* GET http://r/v2/nothing/here/manifests/2: MANIFEST_UNKNOWN: manifest unknown",
        "vulnerability DB download",
        "DBNotFound",
        False,
        "check --db-repository",
    ),
    (
        IMG + "* remote error: GET http://r/v2/a/manifests/1: MANIFEST_UNKNOWN: manifest unknown",
        "SBOM of r/a:1",
        "ImageNotFound",
        False,
        "image not found",
    ),
    (
        F + "init error: DB error: database error: --skip-db-update cannot be specified on the "
        "first run",
        "vulnerability scan",
        "DBMissing",
        False,
        "vulnerability DB missing",
    ),
    (
        IMG + 'Get "https://r/v2/": x509: certificate signed by unknown authority',
        "SBOM of r/a:1",
        "TLS",
        False,
        "--ca-file",
    ),
    (IMG + "context deadline exceeded", "SBOM of r/a:1", "Timeout", True, "timed out"),
    (
        IMG + 'Get "https://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused',
        "SBOM of r/a:1",
        "Unreachable",
        True,
        "registry unreachable",
    ),
    (
        DB + 'Get "https://no-such-host.invalid/v2/": dial tcp: lookup no-such-host.invalid on '
        "10.0.0.53:53: no such host",
        "vulnerability DB download",
        "Unreachable",
        True,
        "unreachable",
    ),
    (IMG + "TOOMANYREQUESTS: rate limit exceeded", "SBOM of r/a:1", "RegistryBusy", True, "429"),
    (
        IMG + "unexpected status code 503 Service Unavailable",
        "SBOM of r/a:1",
        "RegistryBusy",
        True,
        "5xx",
    ),
    # a digest or a port holding "401"/"403"/"404" is not an HTTP status
    (
        IMG + "panic: runtime error in sha256:4011403140440401 at 127.0.0.1:40123",
        "SBOM of r/a:1",
        "ScannerFailed",
        False,
        "trivy exited 1",
    ),
]


@pytest.mark.parametrize(("stderr", "what", "code", "retry", "says"), CASES)
def test_classify_by_cause(stderr: str, what: str, code: str, retry: bool, says: str) -> None:
    err = classify(stderr, 1, what)
    assert (err.error_code, err.can_retry) == (code, retry)
    assert says in err.message and err.message.startswith(what + ": ")
    assert "\n" not in err.message and err.detail == stderr.strip()


def test_a_crash_by_signal_is_retried() -> None:
    assert classify("", -9, "scan").can_retry is True


@pytest.mark.parametrize(
    ("exc", "code", "says"),
    [
        (
            PermissionError(errno.EACCES, "Permission denied", "/c/.regscan-db-1"),
            "LocalFilesystem",
            "cannot write /c/.regscan-db-1 (permission denied)",
        ),
        (
            NotADirectoryError(errno.ENOTDIR, "Not a directory", "/f/c"),
            "LocalFilesystem",
            "(not a directory)",
        ),
        (OSError(errno.ENOSPC, "No space left on device", "/c/db"), "DiskFull", "/c/db"),
        (OSError(errno.EDQUOT, "Disk quota exceeded", "/c/db"), "DiskFull", "disk quota"),
    ],
)
def test_our_own_file_errors_use_the_same_classes(exc: OSError, code: str, says: str) -> None:
    err = from_os_error("vulnerability DB download", exc)
    assert (err.error_code, err.can_retry) == (code, False) and says in err.message
