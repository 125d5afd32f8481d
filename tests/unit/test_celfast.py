"""The closure compiler gives cel-python's answers (differential table)."""

from __future__ import annotations

import celpy
import pytest

from job_images.discovery import celcheck
from job_images.discovery.celfast import compile_fast
from job_images.discovery.celfilter import FUNCTIONS, _activation

EXPRESSIONS = [
    "isSemver(tag, true)",
    'semver(tag, true).isGreaterThan(semver("1.2.0"))',
    "semver(tag).major() == 1 && semver(tag).minor() >= 2",
    'semver(tag, true) == semver("1.2.0") || tag == "latest"',
    '!tag.lowerAscii().contains("-rc")',
    'tag.startsWith("v") ? tag.substring(1).size() > 2 : tag.endsWith("-prod")',
    'tag.split(".").size() == 3 && tag.split(".")[0] == "1"',
    'tag.split("").exists(c, c == "7")',
    'tag.split("").all(c, c != "x")',
    'tag.split("").exists_one(c, c == ".")',
    'tag.split("").filter(c, c != ".").map(c, c + c).join() != ""',
    'tag.matches("^v?[0-9]+") && repository.startsWith("team-")',
    "int(tag) >= 20240101",
    'tag in ["latest", "stable"]',
    "tag.size() - 1 > 3 * 1 && -1 < 0 && 7 % 2 == 1 && 4 / 2 == 2",
    "semver(tag).compareTo(semver('1.0.0')) < 0 || false",
    'strings.quote(tag) != "" && "%s!".format([tag]).endsWith("!")',
    "tag.charAt(10) == ''",
    "1 / 0 == 1 || isSemver(tag)",
]
TAGS = ["1.2.3", "v1.2", "latest", "20240505", "1.12-alpine", "0.9.0-rc1", "v17", "1.2.0+b"]


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_same_answers_as_cel_python(expression: str) -> None:
    env = celpy.Environment(runner_class=celpy.InterpretedRunner)
    tree = env.compile(expression)
    celcheck.check(tree)
    slow = env.program(tree, functions=FUNCTIONS)
    fast = compile_fast(tree, FUNCTIONS)  # covered: no fallback
    for tag in TAGS:
        activation = _activation("team-a/app", tag)
        expected: object
        try:
            expected = slow.evaluate(activation)
        except Exception:
            expected = "error"
        try:
            got: object = fast(activation)
        except Exception:
            got = "error"
        assert got == expected, (expression, tag)
