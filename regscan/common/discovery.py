"""Discovery's output, the JSON other stages consume (pure pydantic models)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class ImageEntry(_Model):
    """One platform-specific image (manifest digest) in one repository."""

    registry: str
    repository: str
    tags: list[str]
    digest: str
    platform: str  # os/arch[/variant][:os.version]
    index_digest: str | None = Field(default=None, alias="indexDigest")
    os_version: str | None = Field(default=None, alias="osVersion")
    os_features: list[str] = Field(default_factory=list, alias="osFeatures")

    @property
    def ref(self) -> str:
        return f"{self.registry}/{self.repository}@{self.digest}"


class ChildEntry(_Model):
    digest: str
    platform: str
    os_features: list[str] = Field(default_factory=list, alias="osFeatures")


class ManifestEntry(_Model):
    """Digest -> platforms cache entry: an image's platform, or an index's children."""

    kind: str  # image | index | artifact
    platform: str | None = None
    os_features: list[str] = Field(default_factory=list, alias="osFeatures")
    children: list[ChildEntry] = Field(default_factory=list)


class DiscoveryError(_Model):
    repository: str
    tag: str | None = None
    message: str


class FilterErrors(_Model):
    """Tags on which one CEL condition failed to evaluate (each counted as no match)."""

    repository: str  # the repository entry (name or glob) the condition belongs to
    condition: str
    tags: int
    example: str  # one failure: "TAG: message"


class DiscoveryStats(_Model):
    requests: dict[str, int] = Field(default_factory=dict)
    repositories: int = 0
    tags: int = 0
    tags_matched: int = Field(default=0, alias="tagsMatched")
    # tags whose CEL filter raised while evaluating (counted as no match)
    tag_filter_errors: int = Field(default=0, alias="tagFilterErrors")
    filter_errors: list[FilterErrors] = Field(default_factory=list, alias="filterErrors")
    images: int = 0
    seconds: float = 0.0


class DiscoveryResult(_Model):
    images: list[ImageEntry] = Field(default_factory=list)
    stats: DiscoveryStats = Field(default_factory=DiscoveryStats)
    errors: list[DiscoveryError] = Field(default_factory=list)
    manifests: dict[str, ManifestEntry] = Field(default_factory=dict)

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2)
