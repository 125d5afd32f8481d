"""Trivy command lines (pure); what a failed run means is in `trivy_errors`."""

from __future__ import annotations

from dataclasses import dataclass

COMMON = ("--skip-version-check", "--disable-telemetry", "--quiet")


@dataclass(frozen=True)
class DBOptions:
    cache_dir: str
    db_repository: str | None = None
    skip_db_update: bool = False


def _tls(ca_file: str | None, insecure: bool) -> list[str]:
    if insecure:
        return ["--insecure"]
    return ["--cacert", ca_file] if ca_file else []


def sbom_argv(
    trivy: str,
    reference: str,
    output: str,
    timeout: float,
    *,
    ca_file: str | None = None,
    insecure: bool = False,
    server: str | None = None,
) -> list[str]:
    """`trivy image` writing SPDX; a client of `server` (its layer cache), else self-contained."""
    return [
        trivy,
        "image",
        "--image-src",
        "remote",
        "--format",
        "spdx-json",
        "--output",
        output,
        *(["--server", server] if server else ["--cache-backend", "memory"]),
        "--timeout",
        f"{int(timeout)}s",
        *COMMON,
        *_tls(ca_file, insecure),
        reference,
    ]


def db_argv(db: DBOptions) -> list[str]:
    args = ["--cache-dir", db.cache_dir]
    if db.db_repository:
        args += ["--db-repository", db.db_repository]
    if db.skip_db_update:
        args.append("--skip-db-update")
    return args


def download_db_argv(
    trivy: str, db: DBOptions, *, ca_file: str | None = None, insecure: bool = False
) -> list[str]:
    return [trivy, "image", "--download-db-only", *db_argv(db), *COMMON, *_tls(ca_file, insecure)]


def vuln_argv(
    trivy: str, sbom_path: str, db: DBOptions, timeout: float, server: str | None = None
) -> list[str]:
    cached = DBOptions(db.cache_dir, None, True)  # the DB is prepared once, before scans
    db_args = ["--server", server, "--cache-dir", db.cache_dir] if server else db_argv(cached)
    return [
        trivy,
        "sbom",
        "--format",
        "json",
        "--scanners",
        "vuln",
        "--timeout",
        f"{int(timeout)}s",
        *db_args,
        *COMMON,
        sbom_path,
    ]


def packages_argv(
    trivy: str, sbom_path: str, output: str, db: DBOptions, timeout: float
) -> list[str]:
    """`trivy sbom` with no scanner: the SBOM's packages as a Trivy JSON report (no DB read;
    the cached DB options and --skip-db-update are passed anyway, so no DB is fetched)."""
    cached = DBOptions(db.cache_dir, None, True)
    return [
        trivy,
        "sbom",
        "--format",
        "json",
        "--list-all-pkgs",
        "--scanners",
        "",
        "--output",
        output,
        "--timeout",
        f"{int(timeout)}s",
        *db_argv(cached),
        *COMMON,
        sbom_path,
    ]


def convert_argv(trivy: str, report_path: str, output: str, fmt: str, timeout: float) -> list[str]:
    """`trivy convert`: a Trivy JSON report in another format (e.g. cyclonedx); offline.
    (`trivy convert` takes neither --skip-version-check nor --disable-telemetry.)"""
    return [
        trivy,
        "convert",
        "--format",
        fmt,
        "--output",
        output,
        "--timeout",
        f"{int(timeout)}s",
        "--quiet",
        report_path,
    ]
