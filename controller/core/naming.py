"""Deterministic, DNS-1123 object names (pure): a restarted controller derives the same names."""

from __future__ import annotations

import hashlib
import re


def short_hash(*parts: str, length: int = 8) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:length]


def dns_name(prefix: str, *parts: str, max_length: int = 52) -> str:
    """`prefix-<readable>-<hash>`, lower-case DNS-1123, at most `max_length` characters.

    52 leaves room for the suffixes Kubernetes adds (CronJob -> Job -> Pod names).
    """
    readable = re.sub(r"[^a-z0-9-]+", "-", "-".join(parts).lower()).strip("-")
    digest = short_hash(*parts)
    room = max_length - len(prefix) - len(digest) - 2
    readable = readable[: max(0, room)].strip("-")
    return "-".join(p for p in (prefix, readable, digest) if p)


def cronjob_name(namespace: str, name: str) -> str:
    return dns_name("rs-disc", namespace, name)


def run_id(namespace: str, name: str, scheduled: str) -> str:
    """A run id from the discovery Job's identity (its name), stable across restarts."""
    return dns_name("run", namespace, name, scheduled, max_length=63)


def rescan_job_name(namespace: str, name: str, db_digest: str) -> str:
    """One rescan run per Registry and DB version: a restart re-derives, never repeats it."""
    return dns_name("rs-rescan", namespace, name, db_digest.removeprefix("sha256:")[:12])


def scan_job_name(run: str) -> str:
    return dns_name("rs-scan", run)


def auth_secret_name(run: str) -> str:
    return dns_name("rs-auth", run)


def scanner_secret_name(run: str) -> str:
    return dns_name("rs-scanner", run)
