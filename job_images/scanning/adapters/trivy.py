"""Trivy behind the scanner seam: SBOM with `trivy image`, findings with `trivy sbom`
(does I/O: runs trivy as a subprocess, reads its DB metadata, writes temp files).

Stores nothing and applies no policy (adapters/harbor.py does). Credentials reach
Trivy only through a per-call DOCKER_CONFIG directory (0700, config.json 0600) that
is removed afterwards; never argv, never logs.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import tempfile
import threading
from pathlib import Path

from job_images.credentials import Credentials
from job_images.docker_config import write_docker_config
from job_images.scanning.adapters.base import AdapterError
from job_images.scanning.adapters.trivy_argv import (
    DBOptions,
    convert_argv,
    download_db_argv,
    packages_argv,
    sbom_argv,
    vuln_argv,
)
from job_images.scanning.adapters.trivy_errors import from_os_error
from job_images.scanning.adapters.trivy_process import find_trivy, run_trivy, trivy_env
from job_images.scanning.adapters.trivy_replay import ReplayFailed, replay
from job_images.scanning.adapters.trivy_server import TrivyServer
from job_images.scanning.adapters.trivy_twirp import (
    ScanMemo,
    WireError,
    sbom_id,
    scan_response_report,
)
from job_images.scanning.dbchange import Fingerprint
from job_images.scanning.dbfingerprint import fingerprint
from job_images.scanning.dbfreshness import DBAction, decide
from job_images.scanning.dbsource import cached_digest, fetch, has_db, mirror_digest
from job_images.scanning.report import vulnerabilities_from_trivy
from job_images.scanning.scanner import ImageRef, ScannerOptions, valid_cyclonedx
from regscan.common.dbref import db_refs
from regscan.common.harbor_api import CYCLONEDX
from regscan.common.reports import ScannerInfo, Vulnerability

log = logging.getLogger("regscan.scan")


class TrivyScanner:
    """The `Scanner` seam for Trivy. Raises AdapterError(ScannerMissing) when not installed."""

    name = "trivy"

    def __init__(self, options: ScannerOptions) -> None:
        self.options = options
        self.trivy = find_trivy(options.trivy)
        cache = (
            options.cache_dir
            or os.environ.get("TRIVY_CACHE_DIR")
            or os.path.join(os.path.expanduser("~"), ".cache", "trivy")
        )  # trivy's own default
        self.db = DBOptions(str(cache), options.db_repository, options.skip_db_update)
        self.db_refs = db_refs(options.db_repository)  # InvalidInput before any work
        self._version = ""
        self._db_lock = threading.Lock()
        self._prepared: ScannerInfo | None = None  # fixed once the DB is prepared
        self._server: TrivyServer | None = None
        self._server_lock = threading.Lock()

    # ---- identity and DB ----------------------------------------------------
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

    def db_fingerprint(self) -> Fingerprint | None:
        """The cached DB's fingerprint (what a later DB update changed is told from it)."""
        path = Path(self.db.cache_dir) / "db" / "trivy.db"
        return fingerprint(path) if path.is_file() else None

    def info(self) -> ScannerInfo:
        if self._prepared is not None:
            return self._prepared
        return ScannerInfo(
            name=self.name,
            vendor="Aqua Security",
            version=self.version(),
            dbUpdatedAt=self.db_updated_at(),
            dbDigest=cached_digest(Path(self.db.cache_dir)),
        )

    def prepare(self) -> None:
        """Check the vulnerability DB once (fetching the mirror's if new), before scans share it."""
        with self._db_lock:
            if self._prepared is not None:
                return
            if self.db.skip_db_update:
                if not (Path(self.db.cache_dir) / "db" / "trivy.db").is_file():
                    raise AdapterError(
                        f"vulnerability DB missing: no db/trivy.db under {self.db.cache_dir}",
                        "--skip-db-update needs a prepared --cache-dir",
                        "DBMissing",
                        False,
                    )
            else:
                self._update_db()
            self._prepared = self.info()
            if self.options.server and self._server is None:  # waited for at first use
                env = {**self._env(), "GOMAXPROCS": str(os.cpu_count() or 1)}  # all clients
                self._server = TrivyServer(
                    self.trivy, self.db.cache_dir, env, not self.options.long_lived
                )
                self._server.launch()  # this (main) thread: see trivy_server's parent death

    def close(self) -> None:
        """Stop the run's `trivy server`, if any (also at interpreter exit)."""
        with self._server_lock:
            if self._server is not None:
                self._server.stop()
                self._server = None

    @property
    def server_url(self) -> str | None:
        """The server's URL, waiting for it to listen the first time; None when there is no
        server or it could not start (then each call runs on its own: slower, same results)."""
        with self._server_lock:
            if self._server is None:
                return None
            try:
                return self._server.wait_ready()
            except AdapterError as exc:
                log.warning("%s; scanning without a server (%s)", exc.message, exc.detail[-200:])
                self._server = None
                return None

    def _update_db(self) -> None:
        """Fetch the mirror's DB when its digest differs from the cached one's (one HEAD)."""
        o, cache = self.options, Path(self.db.cache_dir)
        found = mirror_digest(
            self.db_refs, ca_file=o.ca_file, insecure=o.insecure, timeout=min(o.timeout, 30)
        )
        action = decide(
            has_db=has_db(cache),
            recorded=cached_digest(cache),
            remote=found[1] if found else None,
            skip_update=False,
        )
        if action is DBAction.USE:
            return
        if action is DBAction.TRIVY or found is None:  # mirror silent: Trivy's NextUpdate rule
            argv = download_db_argv(self.trivy, self.db, ca_file=o.ca_file, insecure=o.insecure)
            self._run(argv, o.timeout, "vulnerability DB download")
            return
        ref, digest = found

        def download(tmp: Path) -> None:
            db = DBOptions(str(tmp), str(ref), False)
            argv = download_db_argv(self.trivy, db, ca_file=o.ca_file, insecure=o.insecure)
            self._run(argv, o.timeout, f"vulnerability DB download from {ref}")

        try:
            fetch(cache, ref, digest, download)
        except OSError as exc:  # the swap folder in the cache dir (Trivy's own: classify)
            raise from_os_error(f"vulnerability DB download from {ref}", exc) from exc

    # ---- the two scanning steps --------------------------------------------
    def make_sbom(self, image: ImageRef, credentials: Credentials | None) -> bytes:
        o = self.options
        with tempfile.TemporaryDirectory(prefix="regscan-trivy-") as tmp:
            out = Path(tmp) / "sbom.spdx.json"
            env = self._env()
            if credentials is not None:
                env["DOCKER_CONFIG"] = str(
                    write_docker_config(Path(tmp) / "docker", image.registry, credentials).parent
                )
            insecure = o.insecure or (
                image.registry_url.startswith("http://")
                and not image.registry.startswith(("127.", "localhost"))
            )
            argv = sbom_argv(
                self.trivy,
                image.reference,
                str(out),
                o.timeout,
                ca_file=o.ca_file,
                insecure=insecure,
                server=self.server_url,
            )
            self._run(argv, o.timeout, f"SBOM of {image.reference}", env=env, secret=credentials)
            return out.read_bytes() if out.exists() else b""

    def find_vulnerabilities(self, sbom: bytes, image: ImageRef) -> list[Vulnerability]:
        return self.find_vulnerabilities_with(sbom, image, None)[0]

    def find_vulnerabilities_with(
        self, sbom: bytes, image: ImageRef, memo: bytes | None
    ) -> tuple[list[Vulnerability], bytes | None]:
        """Findings, from the run's server by replaying `memo` (no process) when it fits this
        SBOM and Trivy; else by a `trivy sbom` client, whose requests become the new memo."""
        server = self.server_url
        kept = ScanMemo.from_bytes(memo) if server else None
        if server and kept is not None and kept.fits(sbom, self.version()):
            try:
                doc = scan_response_report(replay(server, kept, self.options.timeout))
                return vulnerabilities_from_trivy(doc), None
            except (ReplayFailed, WireError) as exc:
                log.info("%s: scan memo not replayed (%s)", image.reference, exc)
        with self._server_lock:
            capture = self._server.capture(self.options.timeout) if self._server else None
        token, url = capture.client_url() if capture else ("", server)
        try:
            vulns = self._sbom_scan(sbom, image, url)
        finally:
            sent = capture.take(token) if capture else None
        made = ScanMemo(self.version(), sbom_id(sbom), *sent).to_bytes() if sent else None
        return vulns, made

    def _sbom_scan(self, sbom: bytes, image: ImageRef, server: str | None) -> list[Vulnerability]:
        timeout = self.options.timeout
        what = f"vulnerability scan of {image.reference}"
        with tempfile.TemporaryDirectory(prefix="regscan-trivy-") as tmp:
            path = Path(tmp) / "sbom.spdx.json"
            path.write_bytes(sbom)
            argv = vuln_argv(self.trivy, str(path), self.db, timeout, server)
            out = self._run(argv, timeout, what)
        try:
            doc = json.loads(out.stdout)
        except ValueError as exc:
            raise AdapterError(
                f"{what}: output is not JSON", out.stdout[-500:], "ScannerFailed", True
            ) from exc
        if not isinstance(doc, dict):
            raise AdapterError(f"{what}: output is not a JSON object", "", "ScannerFailed", True)
        return vulnerabilities_from_trivy(doc)

    def convert_sbom(self, sbom: bytes, media_type: str) -> bytes:
        """The SPDX SBOM as CycloneDX JSON, offline: its packages as a Trivy JSON report, then
        `trivy convert`. (`trivy sbom --format cyclonedx` on SPDX input writes empty bom-refs,
        which the CycloneDX schema refuses; the converted report keeps purls as bom-refs.)"""
        if media_type != CYCLONEDX:
            raise AdapterError(f"trivy cannot render an SBOM as {media_type!r}", "", "Unsupported")
        timeout, what = self.options.timeout, "CycloneDX rendering of a stored SBOM"
        with tempfile.TemporaryDirectory(prefix="regscan-trivy-") as tmp:
            src, report, out = (Path(tmp) / n for n in ("sbom.spdx.json", "pkgs.json", "cdx.json"))
            src.write_bytes(sbom)
            self._run(
                packages_argv(self.trivy, str(src), str(report), self.db, timeout), timeout, what
            )
            self._run(
                convert_argv(self.trivy, str(report), str(out), "cyclonedx", timeout), timeout, what
            )
            data = out.read_bytes() if out.exists() else b""
        if not valid_cyclonedx(data):
            raise AdapterError(
                f"{what}: trivy wrote no CycloneDX document", "", "ScannerFailed", True
            )
        return data

    # ---- the subprocess -------------------------------------------------------
    def _env(self) -> dict[str, str]:
        return trivy_env(self.options.parallel)

    def _run(
        self,
        argv: list[str],
        timeout: float,
        what: str,
        env: dict[str, str] | None = None,
        secret: Credentials | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return run_trivy(argv, timeout, what, env or self._env(), secret)
