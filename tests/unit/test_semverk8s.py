"""Kubernetes' CEL semver library cases (semver_test.go, semverlib.go docs), as our tables."""

from __future__ import annotations

import pytest

from job_images.discovery.celfilter import MatchCondition, TagFilter
from job_images.discovery.semverk8s import SemverError, normalize_and_parse, parse, try_parse
from job_images.discovery.tags import select_recent
from regscan.common.errors import InvalidInput


def _eval(expr: str, tag: str = "t") -> tuple[bool, str | None]:
    verdict = TagFilter([MatchCondition("c", expr)]).evaluate("r", tag)
    return verdict.matched, verdict.errors[0].message if verdict.errors else None


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('isSemver("1.2.3-beta.1+build.1")', True),
        ('isSemver("")', False),
        ('isSemver("v1.0.0")', False),
        ('isSemver(" 1.0.0")', False),
        ('isSemver("1. 0.0")', False),
        ('isSemver("1.0.0 ")', False),
        ('isSemver("01.01.01")', False),
        ('isSemver("1")', False),
        ('isSemver("1.1")', False),
        ('isSemver("", true)', False),
        ('isSemver(" 1.0.0", true)', False),
        ('isSemver("1. 0.0", true)', False),
        ('isSemver("1.0.0 ", true)', False),
        ('isSemver("v1.0.0", true)', True),
        ('isSemver("01.01.01", true)', True),
        ('isSemver("1", true)', True),
        ('isSemver("1.1", true)', True),
        ('semver("v01.01", true) == semver("1.1.0")', True),
        ('semver("1.2.3") == semver("1.2.3")', True),
        ('semver("1.2.3") == semver("1.0.0")', False),
        ('semver("1.2.3") != semver("1.0.0")', True),
        ('semver("1.2.3+build.5") == semver("1.2.3")', True),  # EQ ignores build metadata
        ('semver("1.2.3-rc.1") == semver("1.2.3")', False),
        ('semver("1.0.0").isLessThan(semver("1.2.3"))', True),
        ('semver("1.0.0").isLessThan(semver("1.0.0"))', False),
        ('semver("1.2.3").isGreaterThan(semver("1.0.0"))', True),
        ('semver("1.0.0").isGreaterThan(semver("1.0.0"))', False),
        ('semver("1.2.3").compareTo(semver("1.2.3")) == 0', True),
        ('semver("1.0.0").compareTo(semver("1.2.3")) == -1', True),
        ('semver("1.2.3").compareTo(semver("1.0.0")) == 1', True),
        ('semver("1.2.3").major() == 1', True),
        ('semver("1.2.3").minor() == 2', True),
        ('semver("1.2.3").patch() == 3', True),
        ('semver("1.02.3", true) == semver("1.2.3")', True),
        ('semver("1.2.03-rc1", true) == semver("1.2.3-rc1")', True),
        ('isSemver("1.2-rc1", true)', False),  # short version with a pre-release
        ('isSemver("7-alpine", true)', False),
        ('isSemver("1.12-alpine", true)', False),
        ('isSemver("1.2+b5", true)', False),
        ('isSemver("V1.2.3", true)', False),  # only a lower-case v is stripped
        # semverlib.go's documentation
        ("semver('1.0.0') == semver('1.0.0')", True),
        ("semver('0.1.0-alpha.1').minor() == 1", True),
        ("semver('v1.0.0', true) == semver('1.0.0')", True),
        ("semver('1.0', true) == semver('1.0.0')", True),
        ("semver('01.01.01', true) == semver('1.1.1')", True),
        ("isSemver('1.0.0')", True),
        ("isSemver('hello')", False),
        ("isSemver('v1.0')", False),
        ("isSemver('v1.0', true)", True),
        ('semver("1.2.3").compareTo(semver("2.0.0")) == -1', True),
        ('semver("1.2.3").compareTo(semver("0.1.2")) == 1', True),
        ('semver("1.0.0-alpha").isLessThan(semver("1.0.0-alpha.1"))', True),  # semver.org order
        ('semver("1.0.0-alpha.1").isLessThan(semver("1.0.0-alpha.beta"))', True),
        ('semver("1.0.0-beta.2").isLessThan(semver("1.0.0-beta.11"))', True),
        ('semver("1.0.0-rc.1").isLessThan(semver("1.0.0"))', True),
    ],
)
def test_kubernetes_semver_cases(expr: str, expected: bool) -> None:
    assert _eval(expr) == (expected, None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("v1.0", "No Major.Minor.Patch elements found"),  # semver("v1.0") in Kubernetes' tests
        ("", "Version string empty"),
        ("01.1.1", "Major number must not contain leading zeroes"),
        ("1.x.1", "Invalid character(s) found in minor number"),
        ("1.1.1-", "Prerelease is empty"),
        ("1.1.1-01", "Numeric PreRelease version must not contain leading zeroes"),
        ("1.1.1+", "Build meta data is empty"),
        ("1.1.1-a_b", "Invalid character(s) found in prerelease"),
        ("1.1.99999999999999999999", "invalid patch number"),
        ("200K", "No Major.Minor.Patch elements found"),  # semverlib.go: semver('200K') // error
        ("Three", "No Major.Minor.Patch elements found"),
        ("Mi", "No Major.Minor.Patch elements found"),
    ],
)
def test_parse_errors_are_blangs(text: str, message: str) -> None:
    with pytest.raises(SemverError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(text)
    matched, error = _eval("semver(tag).major() >= 0", text)
    assert not matched and error is not None and message in error


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v1", "1.0.0"),
        ("01.01.01", "1.1.1"),
        ("v1.02", "1.2.0"),
        ("1.0.00", "1.0.0"),
        ("1.2.0-rc.1+b.2", "1.2.0-rc.1+b.2"),
        ("1.2.00-0rc", "1.2.0-0rc"),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert str(normalize_and_parse(text)) == expected


@pytest.mark.parametrize("text", ["1.2-rc1", "7-alpine", "1.12-alpine", "1.2+b5", "V1.2.3", "vv1"])
def test_normalize_refuses(text: str) -> None:
    assert try_parse(text, normalize=True) is None


def test_max_tags_ordering_uses_the_kubernetes_parser() -> None:
    tags = ["1.12-alpine", "1.2.3", "v1.10", "01.01.01", "latest"]
    assert select_recent(tags, 3) == ["v1.10", "1.2.3", "01.01.01"]


@pytest.mark.parametrize(
    ("expr", "fragment"),
    [
        ("isSemver([1, 2, 3])", "no matching overload for 'isSemver' applied to (list)"),
        ("isSemver(tag, 'yes')", "no matching overload for 'isSemver' applied to (string, string)"),
        ("semver(tag, 1).major() > 0", "applied to (string, int)"),
        ("semver(tag).major > 1", "did you mean `.major()`?"),
        ("semver(tag) > semver('1.0.0')", "use .isGreaterThan()"),
        ("semver(tag).isGreaterThan('1.0.0')", "applied to (string)"),
        ("semver(tag).major() == 'x'", "applied to (int, string)"),
        ("tag.major()", "no matching overload for 'string.major'"),
    ],
)
def test_static_type_errors(expr: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as err:
        TagFilter([MatchCondition("c", expr)])
    assert fragment in str(err.value)
    assert "celpy" not in str(err.value) and "SemverValue" not in str(err.value)
