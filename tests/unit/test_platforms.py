from __future__ import annotations

import pytest

from job_images.discovery.platforms import Platform, parse_platform, platform_allowed
from regscan.common.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("linux/amd64", Platform("linux", "amd64")),
        ("linux/arm/v7", Platform("linux", "arm", "v7")),
        ("linux/arm64/v8", Platform("linux", "arm64", "v8")),
        ("Linux/AARCH64", Platform("linux", "arm64")),
        ("windows/amd64", Platform("windows", "amd64")),
        (" linux/s390x ", Platform("linux", "s390x")),
    ],
)
def test_parse_valid(text: str, expected: Platform) -> None:
    assert parse_platform(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("linux", "os/arch"),
        ("linux/", "os/arch"),
        ("linux/amd64/v9/x", "os/arch"),
        ("linx/amd64", "unknown os 'linx'"),
        ("linux/amd46", "unknown architecture 'amd46'"),
        ("linux/arm/v9", "unknown variant 'v9'"),
        ("linux/386/v1", "has no variants"),
        ("unknown/unknown", "unknown os"),
    ],
)
def test_parse_invalid_names_the_value(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_platform(text, field="platform")
    assert err.value.field == "platform"
    assert fragment in str(err.value)


@pytest.mark.parametrize(
    ("image", "wanted", "ok"),
    [
        ("linux/amd64", "linux/amd64", True),
        ("linux/arm64/v8", "linux/arm64", True),
        ("linux/arm64", "linux/arm64/v8", True),  # v8 is arm64's default
        ("linux/arm/v7", "linux/arm", True),
        ("linux/arm/v6", "linux/arm/v7", False),
        ("linux/arm", "linux/arm/v7", True),  # arm without variant means v7
        ("linux/amd64", "linux/arm64", False),
        ("windows/amd64", "linux/amd64", False),
    ],
)
def test_matches(image: str, wanted: str, ok: bool) -> None:
    parts = image.split("/")
    platform = Platform(parts[0], parts[1], parts[2] if len(parts) > 2 else "")
    assert platform.matches(parse_platform(wanted)) is ok


def test_empty_filter_allows_everything() -> None:
    assert platform_allowed(Platform("linux", "riscv64"), [])
