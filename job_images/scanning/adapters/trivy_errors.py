"""What a failed Trivy run (or our own file work around it) means, by cause (pure).

Each cause has its own error code, a one-line message naming the fix, and whether a
retry can help:

| code | cause | retry |
| --- | --- | --- |
| `DiskFull` | no space left (or quota) where Trivy or regscan writes | no |
| `LocalFilesystem` | a local path is not writable (permission, read-only, not a dir) | no |
| `Unauthorized` | the registry wants (other) credentials: 401 | no |
| `Forbidden` | the registry refused these credentials for this repository: 403 | no |
| `ImageNotFound` / `DBNotFound` | the image or the DB artifact is not in the registry: 404 | no |
| `DBMissing` | no DB in the cache and updates are off | no |
| `TLS` | certificate verification failed | no |
| `Timeout` | Trivy's own deadline passed | yes |
| `Unreachable` | refused, unknown host, network down, reset | yes |
| `RegistryBusy` | 429 or 5xx from the registry | yes |
| `ScannerFailed` | anything else (a crash by signal is retried) | on signal |

A local filesystem problem is told apart from a registry refusal by Go's path error
shape (`mkdir /var/cache/trivy/db: permission denied`): registries answer with error
codes (`DENIED`, `UNAUTHORIZED`) or HTTP statuses, never a local path.
"""

from __future__ import annotations

import errno
import re

from job_images.scanning.adapters.base import AdapterError

_FS_REASONS = (
    "permission denied",
    "read-only file system",
    "not a directory",
    "no space left on device",
    "disk quota exceeded",
    "operation not permitted",
)
# Go's *PathError / *LinkError: "op /path[ /other]: reason"
_PATH_ERROR = re.compile(
    r"\b(?P<op>[a-z]+) (?P<path>/[^\s:]*)(?: /[^\s:]*)?: (?P<reason>" + "|".join(_FS_REASONS) + ")"
)
_STATUS = r"(?:status(?: code)?:?|HTTP)\s*{code}\b|\b{code} {text}"
_DISK_FULL = ("no space left on device", "disk quota exceeded")
_NETWORK = (
    "connection refused",
    "no such host",
    "i/o timeout",
    "network is unreachable",
    "no route to host",
    "connection reset by peer",
    "tls handshake timeout",
    "server misbehaving",
)
_FIX_CACHE = "make it writable by this user (--cache-dir, TRIVY_CACHE_DIR, TMPDIR)"


def _status(text: str, code: int, words: str) -> bool:
    return re.search(_STATUS.format(code=code, text=words), text, re.IGNORECASE) is not None


def filesystem_error(what: str, path: str, reason: str, detail: str = "") -> AdapterError:
    """A local path cannot be written: the message says so, not 'access denied'."""
    if reason in _DISK_FULL:
        return AdapterError(
            f"{what}: no space left on the device holding {path} ({reason}); free space or "
            "give the Trivy cache and temp dir a larger volume",
            detail,
            "DiskFull",
            False,
        )
    return AdapterError(
        f"{what}: cannot write {path} ({reason}): a local filesystem problem, not a registry "
        f"one; {_FIX_CACHE}",
        detail,
        "LocalFilesystem",
        False,
    )


def from_os_error(what: str, exc: OSError) -> AdapterError:
    """Our own file work (the DB swap folder) failed: the same classes as Trivy's."""
    reason = (exc.strerror or type(exc).__name__).lower()
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        reason = "no space left on device" if exc.errno == errno.ENOSPC else "disk quota exceeded"
    return filesystem_error(what, str(exc.filename or "?"), reason, str(exc))


def classify(stderr: str, returncode: int, what: str) -> AdapterError:
    """Map a failed trivy run to an AdapterError (message one line, detail = stderr tail)."""
    text = stderr.lower()
    detail = stderr.strip()[-2000:]
    found = _PATH_ERROR.search(text)
    if found:
        path = stderr[found.start("path") : found.end("path")]  # original case
        return filesystem_error(what, path, found.group("reason"), detail)
    if any(reason in text for reason in _DISK_FULL):
        return filesystem_error(what, "the Trivy cache or temp dir", "no space left on device")
    db = "vulnerability db" in what.lower()
    if "unauthorized" in text or _status(text, 401, "unauthorized"):
        hint = "give the DB mirror's credentials" if db else "give credentials with pull access"
        return AdapterError(
            f"{what}: the registry refused the credentials (HTTP 401); {hint}",
            detail,
            "Unauthorized",
            False,
        )
    if "denied:" in text or _status(text, 403, "forbidden"):
        return AdapterError(
            f"{what}: the registry denied access to the repository (HTTP 403); the credentials "
            "lack pull permission",
            detail,
            "Forbidden",
            False,
        )
    if "skip-db-update" in text or "first run cannot skip" in text or "db not found" in text:
        return AdapterError(
            f"{what}: vulnerability DB missing; give --db-repository or a prepared --cache-dir",
            detail,
            "DBMissing",
            False,
        )
    if (
        "manifest_unknown" in text
        or "name_unknown" in text
        or _status(text, 404, "not found")
        or "not found" in text
    ):
        if db:
            return AdapterError(
                f"{what}: the DB artifact is not in that registry (HTTP 404); check "
                "--db-repository",
                detail,
                "DBNotFound",
                False,
            )
        return AdapterError(f"{what}: image not found (deleted?)", detail, "ImageNotFound", False)
    if "x509:" in text or ("certificate" in text and "verify" in text):
        return AdapterError(
            f"{what}: TLS verification failed; give --ca-file or --insecure", detail, "TLS", False
        )
    if "context deadline exceeded" in text:
        return AdapterError(f"{what}: timed out (--scan-timeout)", detail, "Timeout", True)
    if any(cause in text for cause in _NETWORK):
        return AdapterError(f"{what}: registry unreachable", detail, "Unreachable", True)
    if "timeout" in text:
        return AdapterError(f"{what}: timed out (--scan-timeout)", detail, "Timeout", True)
    if (
        "toomanyrequests" in text
        or _status(text, 429, "too many requests")
        or re.search(r"(?:status(?: code)?:?|HTTP)\s*5\d\d\b", text)
    ):
        return AdapterError(
            f"{what}: the registry is busy or failing (429/5xx)", detail, "RegistryBusy", True
        )
    return AdapterError(
        f"{what}: trivy exited {returncode}", detail, "ScannerFailed", returncode < 0
    )
