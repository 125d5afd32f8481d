"""Which images of a run an image reference names (pure): `regscan report` and `check`.

A reference is `[host/]repository[:tag]`, `[host/]repository@sha256:…` (a platform digest or
the digest of its multi-arch index) or a bare `sha256:…`. A tag or an index names every
platform of it; `--platform os/arch[/variant]` keeps the one(s) wanted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from job_images.discovery.names import valid_repository, valid_tag
from job_images.discovery.platforms import Platform, parse_platform, split_platform
from regscan.common.errors import InvalidInput
from regscan.common.reports import RunImage

_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class ImageQuery:
    repository: str | None = None  # None: a bare digest
    tag: str | None = None
    digest: str | None = None  # a platform digest or an index digest
    host: str | None = None  # given as in `host:5000/team/app`

    def matches(self, img: RunImage) -> bool:
        if self.repository is not None and img.repository != self.repository:
            return False
        if self.host is not None and _host(img.registry) != self.host:
            return False
        if self.tag is not None and self.tag not in img.tags:
            return False
        return self.digest is None or self.digest in (img.digest, img.index_digest)


def parse_image_ref(ref: str, field: str = "image") -> ImageQuery:
    """Parse a reference; InvalidInput naming `field` and the expected forms."""
    text = ref.strip()
    forms = "use repository[:tag], repository@sha256:<digest> or sha256:<digest>"
    if text.startswith("sha256:"):
        if not _DIGEST.match(text):
            raise InvalidInput(field, f"{ref!r} is not a sha256 digest (64 hex digits)")
        return ImageQuery(digest=text)
    name, at, digest = text.partition("@")
    if at and not _DIGEST.match(digest):
        raise InvalidInput(field, f"{ref!r}: {digest!r} is not a sha256 digest; {forms}")
    last = name.rsplit("/", 1)[-1]
    tag = None
    if ":" in last:
        name, _, tag = name.rpartition(":")
        if not valid_tag(tag):
            raise InvalidInput(field, f"{ref!r}: {tag!r} is not a valid tag; {forms}")
    host = None
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        host, name = first, rest
    if not valid_repository(name):
        raise InvalidInput(field, f"{ref!r}: {name!r} is not a repository name; {forms}")
    return ImageQuery(name, tag, digest or None, host)


def parse_platform_option(text: str | None) -> Platform | None:
    return parse_platform(text, "platform") if text else None


def select_images(
    images: Sequence[RunImage], query: ImageQuery | None, platform: Platform | None
) -> list[RunImage]:
    """The run's entries the query and platform name, in run order (may be empty)."""
    return [
        img
        for img in images
        if (query is None or query.matches(img))
        and (platform is None or split_platform(img.platform).matches(platform))
    ]


def describe(ref: str | None, platform: Platform | None) -> str:
    """How a selection that found nothing is named in the error."""
    parts = [repr(ref)] if ref else ["no image"]
    if platform is not None:
        parts.append(f"for platform {platform}")
    return " ".join(parts)


def _host(registry: str) -> str:
    return registry.split("://", 1)[-1].rstrip("/")
