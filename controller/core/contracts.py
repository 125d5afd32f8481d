"""The Jobs' contracts from a Registry spec and the controller settings (pure).

`regscan.common.jobs` defines the models and renders them into a pod spec; this module
decides their content: the store prefix is the Registry's namespace, the registry
credentials folder is set only when an auth Secret is mounted (the harbor scanner's token
file likewise), the DB mirror is the Registry's or the controller's default.
"""

from __future__ import annotations

from controller.settings import Settings
from regscan.common.jobs import (
    DOCKER_CONFIG_DIR,
    SCANNER_TOKEN_DIR,
    SCANNER_TOKEN_KEY,
    DiscoveryJob,
    RegistryAccess,
    RescanJob,
    ScanJob,
    StoreTarget,
)
from regscan.common.registry import RegistrySpec, ScannerSpec


def _contract_store(namespace: str, settings: Settings) -> StoreTarget:
    return StoreTarget(endpoint=settings.s3_endpoint, bucket=settings.s3_bucket, prefix=namespace)


def _registry_access(spec: RegistrySpec, auth_secret: str | None) -> RegistryAccess:
    return RegistryAccess(
        url=spec.url.rstrip("/"),
        insecure=spec.insecure,
        caBundle=spec.caBundle,
        dockerConfig=DOCKER_CONFIG_DIR if auth_secret else None,
    )


def discovery_contract(
    namespace: str, spec: RegistrySpec, settings: Settings, source: str, auth_secret: str | None
) -> DiscoveryJob:
    return DiscoveryJob(
        registry=_registry_access(spec, auth_secret),
        store=_contract_store(namespace, settings),
        source=source,
        repositories=spec.repositories,
        platforms=spec.platforms,
        maxTags=spec.maxTags,
    )


def db_repository(spec: RegistrySpec, settings: Settings) -> str | None:
    """The DB mirror of a Registry's Jobs: its own, the controller's, or Trivy's default
    (None for a harbor scanner: it keeps its own DB)."""
    if spec.scanner.name != "trivy":
        return None
    return spec.scanner.dbRepository or settings.trivy_db_repository


def _contract_scanner(spec: RegistrySpec, settings: Settings) -> ScannerSpec:
    """The spec's scanner with the DB mirror decided; the Secret's name stays out (the pod
    reads the mounted copy)."""
    update = {"dbRepository": db_repository(spec, settings), "authSecret": None}
    return spec.scanner.model_copy(update=update)


def scan_contract(
    namespace: str,
    run: str,
    spec: RegistrySpec,
    settings: Settings,
    auth_secret: str | None,
    scanner_secret: str | None = None,
) -> ScanJob:
    token = f"{SCANNER_TOKEN_DIR}/{SCANNER_TOKEN_KEY}" if scanner_secret else None
    return ScanJob(
        run=run,
        registry=_registry_access(spec, auth_secret),
        store=_contract_store(namespace, settings),
        scanner=_contract_scanner(spec, settings),
        policy=spec.policy,
        scannerToken=token,
    )


def rescan_contract(
    namespace: str, from_run: str, spec: RegistrySpec, settings: Settings
) -> RescanJob:
    return RescanJob(
        fromRun=from_run,
        registry=_registry_access(spec, None),  # no registry request: SBOMs are stored
        store=_contract_store(namespace, settings),
        scanner=_contract_scanner(spec, settings),
        policy=spec.policy,
    )
