from __future__ import annotations

import pytest

from job_images.discovery.celfilter import MatchCondition, TagFilter
from regscan.common.errors import InvalidInput

SEMVER_GT = 'semver(tag, true).isGreaterThan(semver("v1.12.0", true))'


@pytest.mark.parametrize(
    ("expressions", "operator", "repository", "tag", "expected"),
    [
        ([SEMVER_GT], "and", "r", "v1.13.0", True),
        ([SEMVER_GT], "and", "r", "v1.12.0", False),
        ([SEMVER_GT], "and", "r", "latest", False),  # semver() fails: no match, no crash
        (["isSemver(tag, true)"], "and", "r", "v2", True),
        (["isSemver(tag)"], "and", "r", "v2.0.0", False),  # strict: no 'v'
        (["semver(tag, true).major() == 2"], "and", "r", "2.7.1", True),
        (
            ["semver(tag, true).minor() >= 7 && semver(tag, true).patch() == 1"],
            "and",
            "r",
            "2.7.1",
            True,
        ),
        (['semver(tag, true).compareTo(semver("1.0.0")) < 0'], "and", "r", "0.9.0", True),
        (['semver(tag, true).isLessThan(semver("1.0.0"))'], "and", "r", "1.0.0", False),
        (['tag.startsWith("v")', 'tag.endsWith("-alpine")'], "and", "r", "v1-alpine", True),
        (['tag.startsWith("v")', 'tag.endsWith("-alpine")'], "and", "r", "v1", False),
        (['tag.startsWith("v")', 'tag.endsWith("-alpine")'], "Or", "r", "v1", True),
        (['tag.matches("^[0-9]+\\\\.[0-9]+$")'], "and", "r", "3.18", True),
        (['tag.lowerAscii() == "latest"'], "and", "r", "LATEST", True),
        (['tag.split("-")[0] == "v1"'], "and", "r", "v1-rc1", True),
        (['tag.replace("_", "-") == "a-b"'], "and", "r", "a_b", True),
        (['repository.startsWith("team-a/")'], "and", "team-a/x", "v1", True),
        (['repository.startsWith("team-a/")'], "and", "team-b/x", "v1", False),
        (["tag.size() <= 3"], "and", "r", "abcd", False),
        (['tag in ["latest", "stable"]'], "and", "r", "stable", True),
    ],
)
def test_matches(
    expressions: list[str], operator: str, repository: str, tag: str, expected: bool
) -> None:
    conds = [MatchCondition(f"c{i}", e) for i, e in enumerate(expressions)]
    assert TagFilter(conds, operator).matches(repository, tag) is expected


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("tag +", "does not parse"),
        ("tag ==", "does not parse"),
        ("noSuchFunction(tag)", "undeclared reference to 'noSuchFunction'"),
        ("tag.size()", "must return a bool"),
        ('"x"', "must return a bool"),
        ("unknownVar == 1", "undeclared reference"),
        ("", "empty"),
        ("tag == 1", "no matching overload"),
        ('tag.matches("[")', "invalid regular expression"),
        ("tag.(", "does not parse at column 5"),
        ("semver(tag).major", "did you mean `.major()`?"),
    ],
)
def test_rejected_before_any_request_with_condition_name(expression: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as err:
        TagFilter([MatchCondition("only-releases", expression)], field="spec.matchConditions")
    message = str(err.value)
    assert "only-releases" in message
    assert fragment in message


@pytest.mark.parametrize(
    "expression",
    ["int(tag) >= 20240101", "semver(tag).major() == 1", 'tag.substring(10) == "x"'],
)
def test_valid_although_most_tags_fail_it(expression: str) -> None:
    """No sample-tag heuristic: an expression that fails on 'latest' is still valid."""
    f = TagFilter([MatchCondition("dates", expression)])
    verdict = f.evaluate("r", "latest")
    assert not verdict.matched and verdict.errors


def test_each_distinct_tag_is_evaluated_once_without_repository() -> None:
    f = TagFilter([MatchCondition("c", 'tag.startsWith("v")')])
    assert f.evaluate("a", "v1") is f.evaluate("b", "v1")
    g = TagFilter([MatchCondition("c", 'repository == "a"')])
    assert g.evaluate("a", "v1").matched and not g.evaluate("b", "v1").matched


def test_bad_operator() -> None:
    with pytest.raises(InvalidInput, match="match-operator"):
        TagFilter([], "xor")


def test_no_conditions_match_everything() -> None:
    assert TagFilter([]).matches("r", "anything")
