"""`regscan job discover`: the discovery CronJob's entrypoint (does I/O).

Reads the Registry spec the controller put in `REGSCAN_REGISTRY_SPEC`, the run id
from `--run` or `REGSCAN_RUN_ID` (the Job's name, through the downward API), the
registry credentials from the mounted dockerconfigjson (`REGSCAN_DOCKER_CONFIG`),
and writes the run's image list to `<prefix>/runs/<run>/discovery.json`.
The previous run's manifests (`discovery-cache/<source>.json`) spare manifest GETs.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from controller.core.validation import parse_spec
from job_images.credentials import Credentials
from job_images.discovery.celfilter import MatchCondition, TagFilter
from job_images.discovery.client import ClientOptions
from job_images.discovery.platforms import validate_platform
from job_images.discovery.run import DiscoverySpec, RepositorySelector, discover
from job_images.job_inputs import ca_bundle_file, job_credentials
from job_images.store.backends import ObjectStore
from regscan.common import layout
from regscan.common.discovery import DiscoveryResult, ManifestEntry
from regscan.common.errors import InvalidInput
from regscan.common.registry import RegistrySpec

log = logging.getLogger("regscan.job.discover")
SPEC_ENV = "REGSCAN_REGISTRY_SPEC"


def load_registry_spec(raw: str | None) -> RegistrySpec:
    if not raw:
        raise InvalidInput(SPEC_ENV, "is not set (the controller sets it on the CronJob)")
    return parse_spec(raw, whole=SPEC_ENV)


def discovery_spec(
    spec: RegistrySpec, credentials: Credentials | None, ca_file: str | None
) -> DiscoverySpec:
    """The Registry spec in the discovery code's terms (pure; the spec is validated)."""
    selectors = [
        RepositorySelector(
            repo.name,
            TagFilter(
                [MatchCondition(c.name, c.expression) for c in repo.matchConditions],
                repo.matchOperator,
                field=f"spec.repositories[{i}].matchConditions",
            )
            if repo.matchConditions
            else None,
            spec.maxTags,
        )
        for i, repo in enumerate(spec.repositories)
    ]
    if not selectors and spec.maxTags is not None:
        selectors = [RepositorySelector("**", None, spec.maxTags)]
    platforms = [
        validate_platform(p.os, p.arch, p.variant or "", field=f"spec.platforms[{i}]")
        for i, p in enumerate(spec.platforms)
    ]
    options = ClientOptions(ca_file=ca_file, insecure=spec.insecure)
    return DiscoverySpec(spec.url, selectors, platforms, credentials, options)


def _cached(store: ObjectStore, source: str | None) -> dict[str, ManifestEntry]:
    if not source:
        return {}
    data = store.get(layout.discovery_cache_key(source))
    if data is None:
        return {}
    try:
        return DiscoveryResult.model_validate_json(data).manifests
    except ValueError:
        log.warning("ignoring an unreadable discovery cache for %s", source)
        return {}


def run_job_discover(args: argparse.Namespace) -> int:
    from regscan.cli.store_options import open_store

    spec = load_registry_spec(os.environ.get(SPEC_ENV))
    run = layout.check_run_id(args.run or os.environ.get("REGSCAN_RUN_ID", ""))
    source = os.environ.get("REGSCAN_SOURCE") or None
    if source:
        layout.check_run_id(source)
    store = open_store(args)
    creds = job_credentials(args, spec.url)
    with ca_bundle_file(spec.caBundle) as ca_file:
        found = discover(discovery_spec(spec, creds, ca_file), previous=_cached(store, source))
    data = found.to_json().encode()
    store.put(layout.discovery_key(run), data)
    if source:
        store.put(layout.discovery_cache_key(source), data)
    for err in found.errors:
        log.warning("%s%s: %s", err.repository, f":{err.tag}" if err.tag else "", err.message)
    sys.stdout.write(
        f"run {run}: {found.stats.repositories} repositories, {found.stats.tags} tags, "
        f"{len(found.images)} images -> {store.url(layout.discovery_key(run))}\n"
    )
    return 0
