"""Scanner adapters, selected by name (`trivy` is the default), and the factory that opens
one from typed options (constructing a scanner may look for its binary: I/O).
"""

from __future__ import annotations

import os

from job_images.scanning.adapters.base import AdapterSettings, ScannerAdapter
from job_images.scanning.adapters.harbor import ScanAdapter, StoredResultsOnly
from job_images.scanning.policy import Policy
from job_images.scanning.scanner import Scanner, ScannerOptions
from job_images.store.protocol import ObjectStore
from regscan.common.errors import InvalidInput

SCANNERS = ("trivy", "harbor")


def get_scanner(name: str, options: ScannerOptions | None = None) -> Scanner:
    """The scanner registered under `name`. Each scanner lives in its own module."""
    if name == "trivy":
        from job_images.scanning.adapters.trivy import TrivyScanner

        return TrivyScanner(options or ScannerOptions())
    raise InvalidInput("scanner", f"unknown scanner {name!r} (available: {', '.join(SCANNERS)})")


def get_adapter(name: str, options: ScannerOptions | None = None) -> ScannerAdapter:
    """An unconfigured adapter over the scanner registered under `name`; `harbor` is a
    client of a Harbor Scanner Adapter API server at `options.url`."""
    if name == "harbor":
        from job_images.scanning.adapters.harbor_remote import (
            AUTH_ENV,
            TOKEN_FILE_ENV,
            HarborRemoteAdapter,
        )

        o = options or ScannerOptions()
        env = dict(os.environ)  # the options (a Job's contract) win over the environment
        if o.token_file:
            env[TOKEN_FILE_ENV] = o.token_file
        if o.auth_scheme:
            env[AUTH_ENV] = o.auth_scheme
        return HarborRemoteAdapter(o.url or "", o.timeout, env)
    return ScanAdapter(get_scanner(name, options))


def check_options(options: ScannerOptions) -> ScannerOptions:
    if options.parallel < 1 or options.parallel > 64:
        raise InvalidInput("parallel", "must be between 1 and 64")
    if options.skip_db_update and not options.cache_dir:
        raise InvalidInput("skip-db-update", "needs --cache-dir with a prepared DB")
    if options.name not in SCANNERS:
        raise InvalidInput(
            "scanner", f"unknown scanner {options.name!r} (available: {', '.join(SCANNERS)})"
        )
    if options.name == "harbor" and not options.url:
        raise InvalidInput("scanner-url", "--scanner harbor needs --scanner-url URL")
    return options


def open_adapter(options: ScannerOptions, store: ObjectStore, policy: Policy) -> ScannerAdapter:
    """A configured adapter: options checked, scanner found, store and policy set."""
    adapter = get_adapter(check_options(options).name, options)
    adapter.configure(AdapterSettings(store=store, policy=policy))
    return adapter


def open_stored_results(store: ObjectStore, policy: Policy) -> ScannerAdapter:
    """An adapter that judges and removes stored results but scans nothing (no scanner)."""
    return ScanAdapter(StoredResultsOnly(), AdapterSettings(store=store, policy=policy))
