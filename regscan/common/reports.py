"""The report and run-index schema, defined once (pure pydantic models).

A `Report` is per digest and shared by every run, repository and tag that has the digest:
it holds findings only. Policy verdicts belong to a run: `RunImage.policy`, made with
`RunIndex.policy`, so no stored file can carry the verdict of another run's policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from regscan.common.discovery import FilterErrors, ImageEntry
from regscan.common.policy import PolicySpec

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN")


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    def to_json(self) -> bytes:
        return self.model_dump_json(by_alias=True, indent=2).encode()


class Artifact(_Model):
    registry: str
    repository: str
    tags: list[str] = Field(default_factory=list)
    digest: str
    platform: str = ""


class ScannerInfo(_Model):
    name: str
    vendor: str = ""
    version: str = ""
    db_updated_at: str | None = Field(default=None, alias="dbUpdatedAt")
    db_digest: str | None = Field(default=None, alias="dbDigest")  # the DB manifest's digest

    def same_as(self, other: ScannerInfo) -> bool:
        """Same scanner, version and DB: a report made with one is current for the other."""
        return (self.name, self.version, self.db_updated_at or "") == (
            other.name,
            other.version,
            other.db_updated_at or "",
        )


class Summary(_Model):
    critical: int = 0
    high: int = 0
    medium: int = 0
    low: int = 0
    unknown: int = 0
    total: int = 0
    fixable: int = 0

    def add(self, other: Summary) -> Summary:
        data = {k: getattr(self, k) + getattr(other, k) for k in Summary.model_fields}
        return Summary(**data)


class Vulnerability(_Model):
    id: str
    package: str
    installed_version: str = Field(default="", alias="installedVersion")
    fixed_version: str = Field(default="", alias="fixedVersion")
    severity: str = "UNKNOWN"
    title: str = ""
    purl: str = ""
    links: list[str] = Field(default_factory=list)
    score: float | None = None


class CheckResult(_Model):
    passed: bool
    reasons: list[str] = Field(default_factory=list)


class Report(_Model):
    artifact: Artifact
    scanner: ScannerInfo
    generated_at: str = Field(alias="generatedAt")
    summary: Summary
    severity: str  # the maximum, or NONE
    vulnerabilities: list[Vulnerability] = Field(default_factory=list)
    # Set when a DB update could not change the findings (dbchange.py): `scanner` is the
    # DB the report is verified against, `scannedWith` the one that last actually scanned.
    scanned_with: ScannerInfo | None = Field(default=None, alias="scannedWith")
    verified_at: str | None = Field(default=None, alias="verifiedAt")


class RescanPlan(_Model):
    """`runs/<run>/rescan.json` of a rescan run (a DB update): the digests it can affect
    (re-scanned by the run's Job) and how many reports were re-stamped instead."""

    run_id: str = Field(alias="runId")
    from_run: str = Field(alias="fromRun")  # whose discovery lists the images
    scanner: ScannerInfo
    affected: list[str] = Field(default_factory=list)
    verified: int = 0


class RunImage(_Model):
    registry: str
    repository: str
    tags: list[str]
    digest: str
    platform: str  # os/arch[/variant][:os.version]
    status: str  # ok | failed
    index_digest: str | None = Field(default=None, alias="indexDigest")  # its multi-arch index
    os_version: str | None = Field(default=None, alias="osVersion")
    os_features: list[str] = Field(default_factory=list, alias="osFeatures")
    reused: bool = False
    error: str | None = None
    error_code: str | None = Field(default=None, alias="errorCode")
    summary: Summary | None = None
    severity: str | None = None
    policy: CheckResult | None = None  # the verdict under the run's policy
    report: str | None = None
    scanned_with: ScannerInfo | None = Field(default=None, alias="scannedWith")

    @classmethod
    def of(cls, image: ImageEntry, status: str, **fields: object) -> RunImage:
        """The run entry of a discovered image (where it lives: registry, repo, tags, platform)."""
        return cls.model_validate(
            {
                "registry": image.registry,
                "repository": image.repository,
                "tags": image.tags,
                "digest": image.digest,
                "platform": image.platform,
                "indexDigest": image.index_digest,
                "osVersion": image.os_version,
                "osFeatures": image.os_features,
                "status": status,
                **fields,
            }
        )


class RunIndex(_Model):
    run_id: str = Field(alias="runId")
    registry: str = ""
    started_at: str = Field(alias="startedAt")
    completed_at: str | None = Field(default=None, alias="completedAt")
    scanner: ScannerInfo | None = None
    images: list[RunImage] = Field(default_factory=list)
    totals: Summary = Field(default_factory=Summary)
    scanned: int = 0
    reused: int = 0
    failed: int = 0
    # some images failed or discovery could not list some repositories/tags: the run is
    # not the registry's whole picture (`runs/latest.json` keeps the last complete run)
    partial: bool = False
    discovery_errors: int = Field(default=0, alias="discoveryErrors")
    # per tag-filter condition, the tags it failed to evaluate on (counted as no match)
    filter_errors: list[FilterErrors] = Field(default_factory=list, alias="filterErrors")
    policy_failing: int = Field(default=0, alias="policyFailing")
    policy: PolicySpec | None = None  # what the images' verdicts were judged by
    policy_hash: str | None = Field(default=None, alias="policyHash")  # set by the controller

    def counted(self) -> RunIndex:
        """A copy with totals and counts recomputed from `images` (see `count_run`)."""
        c = count_run(self.images)
        return self.model_copy(
            update={
                "totals": c.totals,
                "scanned": c.scanned,
                "reused": c.reused,
                "failed": c.failed,
                "policy_failing": c.policy_failing,
            }
        )


class ImageReport(_Model):
    """One image of a run with its stored report (`regscan report --image --format json`)."""

    image: RunImage
    report: Report | None = None  # None: the image failed, or its report is gone


class RunReport(_Model):
    """The images `regscan report --image` selected, with the run's policy."""

    run_id: str = Field(alias="runId")
    registry: str = ""
    policy: PolicySpec | None = None
    images: list[ImageReport] = Field(default_factory=list)


class RunCounts(NamedTuple):
    totals: Summary
    scanned: int
    reused: int
    failed: int
    policy_failing: int


def count_run(images: Sequence[RunImage]) -> RunCounts:
    """A run's totals, the one definition (the scan pipeline and the controller's merge).

    Per unique digest (its first entry), so content shared by several repositories or
    tags is counted once: vulnerability totals, scanned, reused, failed. `policy_failing`
    counts image entries, as people read the table: every tag that would be blocked.
    """
    first: dict[str, RunImage] = {}
    for img in images:
        first.setdefault(img.digest, img)
    total = Summary()
    for img in first.values():
        if img.status == "ok" and img.summary is not None:
            total = total.add(img.summary)
    ok = [i for i in first.values() if i.status == "ok"]
    return RunCounts(
        totals=total,
        scanned=sum(1 for i in ok if not i.reused),
        reused=sum(1 for i in ok if i.reused),
        failed=len(first) - len(ok),
        policy_failing=sum(1 for i in images if i.policy is not None and not i.policy.passed),
    )


def mark_partial(index: RunIndex, discovery_errors: int) -> RunIndex:
    """The index with `partial` set when an image failed or discovery had errors."""
    partial = bool(index.failed or discovery_errors)
    return index.model_copy(update={"partial": partial, "discovery_errors": discovery_errors})


class ShardSpec(_Model):
    """What one Job index scans: written by the controller, read by `regscan job scan`."""

    run_id: str = Field(alias="runId")
    shard: int
    registry_url: str = Field(alias="registryUrl")
    images: list[dict[str, object]] = Field(default_factory=list)  # discovery ImageEntry JSON


class InventoryEntry(_Model):
    first_seen: str = Field(alias="firstSeen")
    last_seen: str = Field(alias="lastSeen")
    missing_since: str | None = Field(default=None, alias="missingSince")


class Inventory(_Model):
    """Digests a registry selection held, for lifecycle (deleted-image) handling."""

    registry: str
    selection: str
    digests: dict[str, InventoryEntry] = Field(default_factory=dict)
