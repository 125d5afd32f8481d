"""Image references and platforms -> the run entries `regscan report` shows (pure tables)."""

from __future__ import annotations

import pytest

from job_images.discovery.platforms import parse_platform
from job_images.scanning.query import ImageQuery, parse_image_ref, select_images
from job_images.scanning.table import render_images, render_table
from regscan.common.errors import InvalidInput
from regscan.common.reports import ImageReport, RunImage, RunIndex, RunReport

IDX = "sha256:" + "1" * 64
AMD, ARM, V7, SOLO = ("sha256:" + c * 64 for c in "abcd")
WIDX, WIN19, WIN22 = ("sha256:" + c * 64 for c in "2ef")


def img(repo: str, tags: list[str], digest: str, platform: str, index: str | None) -> RunImage:
    return RunImage(
        registry="reg.example.com:5000",
        repository=repo,
        tags=tags,
        digest=digest,
        platform=platform,
        status="ok",
        indexDigest=index,
    )


RUN = [
    img("team/app", ["1.0", "latest"], AMD, "linux/amd64", IDX),
    img("team/app", ["1.0", "latest"], ARM, "linux/arm64", IDX),
    img("team/app", ["1.0", "latest"], V7, "linux/arm/v7", IDX),
    img("mirror/app", ["1.0"], AMD, "linux/amd64", IDX),
    img("team/tool", ["2"], SOLO, "linux/amd64", None),
    img("win/app", ["ltsc"], WIN19, "windows/amd64:10.0.17763.5329", WIDX),
    img("win/app", ["ltsc"], WIN22, "windows/amd64:10.0.20348.2227", WIDX),
]


@pytest.mark.parametrize(
    ("ref", "query"),
    [
        ("team/app", ImageQuery("team/app")),
        ("team/app:1.0", ImageQuery("team/app", "1.0")),
        (f"team/app@{AMD}", ImageQuery("team/app", None, AMD)),
        (f"team/app:1.0@{IDX}", ImageQuery("team/app", "1.0", IDX)),
        (AMD, ImageQuery(digest=AMD)),
        (
            "reg.example.com:5000/team/app:1.0",
            ImageQuery("team/app", "1.0", None, "reg.example.com:5000"),
        ),
        ("localhost/app", ImageQuery("app", None, None, "localhost")),
        ("app:1.0", ImageQuery("app", "1.0")),  # one component: never a host
    ],
)
def test_parse_image_ref(ref: str, query: ImageQuery) -> None:
    assert parse_image_ref(ref) == query


@pytest.mark.parametrize(
    ("ref", "fragment"),
    [
        ("sha256:abc", "is not a sha256 digest (64 hex digits)"),
        ("team/app@sha256:xyz", "'sha256:xyz' is not a sha256 digest"),
        ("team/app@latest", "is not a sha256 digest"),
        ("Team/App:1.0", "'Team/App' is not a repository name"),
        ("team/app:bad tag", "'bad tag' is not a valid tag"),
        ("", "'' is not a repository name"),
    ],
)
def test_bad_references_name_the_option_and_the_forms(ref: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_image_ref(ref)
    assert err.value.field == "image" and fragment in str(err.value)
    assert "repository[:tag]" in str(err.value) or "64 hex" in str(err.value)


@pytest.mark.parametrize(
    ("ref", "platform", "expected"),
    [
        ("team/app:1.0", None, [0, 1, 2]),  # a multi-arch tag: every platform
        ("team/app:latest", "linux/arm64", [1]),
        ("team/app:1.0", "linux/arm", [2]),  # linux/arm means every arm variant
        (f"team/app@{ARM}", None, [1]),  # a platform digest: that one
        (f"team/app@{IDX}", None, [0, 1, 2]),  # the index digest: its platforms
        (f"team/app@{IDX}", "linux/amd64", [0]),
        (AMD, None, [0, 3]),  # a bare digest: every repository holding it
        (IDX, None, [0, 1, 2, 3]),
        ("reg.example.com:5000/team/tool:2", None, [4]),
        ("other.example.com/team/tool:2", None, []),  # another registry
        ("team/app:2.0", None, []),
        ("team/tool", "linux/arm64", []),
        (None, "linux/amd64", [0, 3, 4]),
        (None, None, [0, 1, 2, 3, 4, 5, 6]),
        ("win/app:ltsc", None, [5, 6]),  # two Windows builds of one tag, told apart
        ("win/app:ltsc", "windows/amd64", [5, 6]),
        ("win/app:ltsc", "windows/amd64:10.0.17763", [5]),
        (None, "windows/amd64:10.0.20348.2227", [6]),
    ],
)
def test_select_images(ref: str | None, platform: str | None, expected: list[int]) -> None:
    query = parse_image_ref(ref) if ref else None
    wanted = parse_platform(platform) if platform else None
    assert select_images(RUN, query, wanted) == [RUN[i] for i in expected]


def test_tables_show_the_os_version() -> None:
    index = RunIndex(runId="r", registry="h", startedAt="2026-11-22T10:00:00Z", images=RUN[5:])
    table = render_table(index)
    assert "windows/amd64:10.0.17763.5329" in table and "windows/amd64:10.0.20348.2227" in table
    detail = render_images(RunReport(runId="r", images=[ImageReport(image=i) for i in RUN[5:]]))
    assert "windows/amd64:10.0.17763.5329" in detail
