"""The controller→Job contract (pure): one pydantic model per Job kind.

The controller renders a contract into the pod spec with `pod_env` (the only writer);
the Job reads it back with `read_discovery_job` / `read_scan_job` / `read_rescan_job`
(the only readers).
Everything a Job needs is in the model; what only the pod knows at run time comes from
Kubernetes itself (the run id of a discovery or rescan Job is its own name, through the
downward API; a scan pod's shard is `JOB_COMPLETION_INDEX`). Secrets never travel in a
contract: S3 keys come from a Secret as `AWS_*` variables, registry credentials from a mounted
dockerconfigjson at `DOCKER_CONFIG_DIR`, a harbor scanner's token from a file in
`SCANNER_TOKEN_DIR`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from regscan.common.errors import InvalidInput
from regscan.common.registry import PlatformSpec, PolicySpec, RepositorySpec, ScannerSpec

CONTRACT_ENV = "REGSCAN_JOB"  # the contract, as JSON
RUN_ID_ENV = "REGSCAN_RUN_ID"  # a discovery Job's name (downward API)
SHARD_ENV = "JOB_COMPLETION_INDEX"  # set by Kubernetes on Indexed Job pods
DOCKER_CONFIG_DIR = "/var/run/regscan/docker"  # the run's dockerconfigjson, mounted
SCANNER_TOKEN_DIR = "/var/run/regscan/scanner"  # the run's copy of spec.scanner.authSecret
SCANNER_TOKEN_KEY = "token"  # the key of that Secret, and the file name in the folder
S3_ACCESS_KEY_ENV = "AWS_ACCESS_KEY_ID"
S3_SECRET_KEY_ENV = "AWS_SECRET_ACCESS_KEY"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class StoreTarget(_Model):
    """Where the Job reads and writes: an S3 bucket and the Registry's prefix in it."""

    endpoint: str = Field(min_length=1)
    bucket: str = Field(min_length=1)
    prefix: str = ""


class RegistryAccess(_Model):
    """How to reach the registry. `dockerConfig` is a folder path inside the pod."""

    url: str = Field(min_length=1)
    insecure: bool = False
    caBundle: str | None = None
    dockerConfig: str | None = None


class DiscoveryJob(_Model):
    """`regscan job discover`: list the registry, write `runs/<run>/discovery.json`."""

    kind: Literal["discovery"] = "discovery"
    registry: RegistryAccess
    store: StoreTarget | None = None  # None: the pod is given --output-dir
    source: str = Field(min_length=1, description="the CronJob: names the manifest cache")
    repositories: list[RepositorySpec] = Field(default_factory=list)
    platforms: list[PlatformSpec] = Field(default_factory=list)
    maxTags: int | None = None


class ScanJob(_Model):
    """`regscan job scan`: scan shard `JOB_COMPLETION_INDEX` of run `run`."""

    kind: Literal["scan"] = "scan"
    run: str = Field(min_length=1)
    registry: RegistryAccess
    store: StoreTarget | None = None  # None: the pod is given --output-dir
    scanner: ScannerSpec = Field(default_factory=ScannerSpec)
    policy: PolicySpec = Field(default_factory=PolicySpec)
    parallel: int = Field(default=1, ge=1, le=64)
    scannerToken: str | None = Field(
        default=None, description="the harbor scanner's token file, when its Secret is mounted"
    )


class RescanJob(_Model):
    """`regscan job rescan`: after a DB update, the digests of run `fromRun` it can affect
    (written as `runs/<run>/rescan.json`, with `fromRun`'s discovery as the run's own)."""

    kind: Literal["rescan"] = "rescan"
    fromRun: str = Field(min_length=1)
    registry: RegistryAccess  # its CA and TLS settings reach the DB download as in scan Jobs
    store: StoreTarget | None = None  # None: the pod is given --output-dir
    scanner: ScannerSpec = Field(default_factory=ScannerSpec)
    policy: PolicySpec = Field(default_factory=PolicySpec)


Contract = DiscoveryJob | ScanJob | RescanJob
C = TypeVar("C", DiscoveryJob, ScanJob, RescanJob)


def pod_env(contract: Contract) -> list[dict[str, Any]]:
    """The contract as container env entries (the one way it enters a pod spec)."""
    env: list[dict[str, Any]] = [
        {"name": CONTRACT_ENV, "value": contract.model_dump_json(exclude_none=True)}
    ]
    if isinstance(contract, DiscoveryJob | RescanJob):
        env.append(  # the run id is the Job's name, set by the Job controller as a pod label
            {
                "name": RUN_ID_ENV,
                "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['job-name']"}},
            }
        )
    return env


def _read(model: type[C], environ: Mapping[str, str]) -> C:
    raw = environ.get(CONTRACT_ENV)
    if not raw:
        raise InvalidInput(CONTRACT_ENV, "is not set (the controller sets it on the Job)")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        field = f"{CONTRACT_ENV}.{where}" if where else CONTRACT_ENV
        raise InvalidInput(field, err["msg"]) from exc


def read_discovery_job(environ: Mapping[str, str]) -> DiscoveryJob:
    return _read(DiscoveryJob, environ)


def read_rescan_job(environ: Mapping[str, str]) -> RescanJob:
    return _read(RescanJob, environ)


def read_scan_job(environ: Mapping[str, str]) -> ScanJob:
    return _read(ScanJob, environ)
