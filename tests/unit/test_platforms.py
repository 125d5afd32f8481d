from __future__ import annotations

import pytest

from job_images.discovery.platforms import (
    Platform,
    parse_platform,
    platform_allowed,
    platform_from_json,
    split_platform,
)
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
        ("windows/amd64:10.0.17763", Platform("windows", "amd64", "", "10.0.17763")),
        ("windows/amd64:10.0.20348.2227", Platform("windows", "amd64", "", "10.0.20348.2227")),
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
        ("windows/amd64:", "os/arch[/variant][:osversion]"),
        (":10.0.17763", "os/arch"),
        ("windows/amd64:10.0/1", "os.version '10.0/1'"),
        ("windows/amd64:10 0", "os.version '10 0'"),
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
        ("linux/arm/v6", "linux/arm", True),  # no variant in the filter: every variant
        ("linux/arm64/v9", "linux/arm64", True),
        ("linux/amd64/v3", "linux/amd64", True),
        # os.version: absent in the filter matches any; else prefix at a dot boundary
        ("windows/amd64:10.0.17763.5329", "windows/amd64", True),
        ("windows/amd64:10.0.17763.5329", "windows/amd64:10.0.17763", True),
        ("windows/amd64:10.0.17763.5329", "windows/amd64:10.0.17763.5329", True),
        ("windows/amd64:10.0.20348.2227", "windows/amd64:10.0.17763", False),
        ("windows/amd64:10.0.177630", "windows/amd64:10.0.17763", False),
        ("windows/amd64", "windows/amd64:10.0.17763", False),
    ],
)
def test_matches(image: str, wanted: str, ok: bool) -> None:
    assert split_platform(image).matches(parse_platform(wanted)) is ok


@pytest.mark.parametrize(
    ("entry", "text"),
    [
        ({"os": "linux", "architecture": "amd64"}, "linux/amd64"),
        (
            {"os": "windows", "architecture": "amd64", "os.version": "10.0.17763.5329"},
            "windows/amd64:10.0.17763.5329",
        ),
        # an untrusted os.version that would break the platform text is dropped
        ({"os": "windows", "architecture": "amd64", "os.version": "1:2/3"}, "windows/amd64"),
    ],
)
def test_platform_from_json_round_trips(entry: dict[str, object], text: str) -> None:
    platform = platform_from_json(entry)
    assert platform is not None and str(platform) == text
    assert split_platform(text) == platform


def test_os_features_are_kept_but_not_identity() -> None:
    entry = {"os": "windows", "architecture": "amd64", "os.features": ["win32k"]}
    platform = platform_from_json(entry)
    assert platform is not None and platform.os_features == ("win32k",)
    assert platform == Platform("windows", "amd64")


def test_empty_filter_allows_everything() -> None:
    assert platform_allowed(Platform("linux", "riscv64"), [])
