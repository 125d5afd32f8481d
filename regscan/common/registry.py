"""Registry spec and status models (pure). The CRD YAML is generated from these.

Field names are the Kubernetes (camelCase) names; Python code uses the same.
An optional string is absent or non-empty (`min_length=1`): the CRD then rejects "" too.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from regscan.common.discovery import FilterErrors
from regscan.common.policy import AllowlistEntry, PolicySpec, Severity
from regscan.common.reports import Summary as VulnerabilityCounts  # one schema for counts

__all__ = ["AllowlistEntry", "PolicySpec", "RegistrySpec", "RegistryStatus", "Severity"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class MatchCondition(_Model):
    """A CEL expression over `tag` and `repository` that must return a bool."""

    name: str = Field(min_length=1, max_length=63)
    expression: str = Field(min_length=1, max_length=4096)


class RepositorySpec(_Model):
    """A repository name or glob (`team-a/*`) with its tag filters."""

    name: str = Field(min_length=1, max_length=255)
    matchConditions: list[MatchCondition] = Field(default_factory=list, max_length=16)
    matchOperator: Literal["And", "Or"] = "And"
    strict: bool = Field(
        default=False,
        description="fail the run when a condition cannot be evaluated on a tag "
        "(default: the tag counts as no match, and lastDiscovery.filterErrors counts it)",
    )


class PlatformSpec(_Model):
    os: str = Field(min_length=1, max_length=32)
    arch: str = Field(min_length=1, max_length=32)
    variant: str | None = Field(default=None, min_length=1, max_length=16)
    osVersion: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Windows os.version; matches it and its longer forms (10.0.17763.*)",
    )


class ScanSpec(_Model):
    batchSize: int = Field(default=25, ge=1, le=1000, description="digests per shard")
    parallelism: int = Field(default=4, ge=1, le=100)
    activeDeadlineSeconds: int | None = Field(default=None, ge=60)
    backoffLimitPerIndex: int = Field(default=2, ge=0, le=10)


class ScannerSpec(_Model):
    """Which scanner the scan Jobs use: Trivy in the pod (default), or any server speaking
    the Harbor Scanner Adapter API (`harbor`: Harbor's Trivy, Clair, Anchore … adapters, or
    `regscan serve`)."""

    name: Literal["trivy", "harbor"] = "trivy"
    dbRepository: str | None = Field(
        default=None,
        min_length=1,
        max_length=512,
        description="trivy: the vulnerability-DB mirror (OCI reference)",
    )
    url: str | None = Field(
        default=None,
        min_length=1,
        max_length=512,
        description="harbor: the adapter's base URL (http or https)",
    )
    authSecret: str | None = Field(
        default=None,
        min_length=1,
        max_length=253,
        description="harbor: a Secret in the Registry's namespace whose key `token` is "
        "the adapter's credential",
    )
    authScheme: Literal["Bearer", "Basic", "APIKey"] = Field(
        default="Bearer",
        description="harbor: how the token is sent, as Harbor's registration offers: "
        "Bearer, Basic (`user:password`, or a password for user regscan) or "
        "X-ScannerAdapter-API-Key",
    )


class RegistrySpec(_Model):
    url: str = Field(min_length=1, max_length=512, description="scheme decides TLS")
    insecure: bool = False
    caBundle: str | None = Field(default=None, min_length=1, max_length=65536)
    authSecret: str | None = Field(
        default=None,
        min_length=1,
        max_length=253,
        description="a kubernetes.io/dockerconfigjson Secret in the Registry's namespace",
    )
    repositories: list[RepositorySpec] = Field(default_factory=list, max_length=256)
    platforms: list[PlatformSpec] = Field(default_factory=list, max_length=32)
    maxTags: int | None = Field(default=None, ge=1, le=10000)
    schedule: str = Field(default="@daily", min_length=1, max_length=128)
    suspend: bool = False
    scan: ScanSpec = Field(default_factory=ScanSpec)
    scanner: ScannerSpec = Field(default_factory=ScannerSpec)
    policy: PolicySpec = Field(default_factory=PolicySpec)


class Condition(_Model):
    type: str
    status: Literal["True", "False", "Unknown"]
    reason: str
    message: str = ""
    lastTransitionTime: str
    observedGeneration: int | None = None


class LastDiscovery(_Model):
    runId: str
    completionTime: str | None = None
    repositories: int = 0
    tags: int = 0
    images: int = 0
    filterErrors: list[FilterErrors] = Field(default_factory=list, max_length=64)


class LastScan(_Model):
    runId: str
    startTime: str | None = None
    completionTime: str | None = None
    images: int = 0
    scanned: int = 0
    reused: int = 0
    failed: int = 0


class VulnerabilityDB(_Model):
    """The vulnerability DB the Registry's reports are current for."""

    digest: str | None = None
    updatedAt: str | None = None


class LastRescan(_Model):
    """The last run started by a vulnerability-DB update (no discovery)."""

    runId: str
    dbDigest: str | None = None
    dbUpdatedAt: str | None = None
    affected: int = 0
    rescanned: int = 0
    verified: int = 0
    completionTime: str | None = None


class PolicyCounts(_Model):
    passing: int = 0
    failing: int = 0


class RegistryStatus(_Model):
    observedGeneration: int | None = None
    conditions: list[Condition] = Field(default_factory=list)
    nextScheduleTime: str | None = None
    lastDiscovery: LastDiscovery | None = None
    lastScan: LastScan | None = None
    lastRescan: LastRescan | None = None
    database: VulnerabilityDB | None = None
    vulnerabilities: VulnerabilityCounts | None = None
    policy: PolicyCounts | None = None
    reports: str | None = None
