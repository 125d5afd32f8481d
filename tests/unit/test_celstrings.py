"""cel-go ext.Strings documented examples and error paths, as our tables."""

from __future__ import annotations

import pytest

from job_images.discovery.celfilter import MatchCondition, TagFilter
from regscan.common.errors import InvalidInput


def _verdict(expr: str, tag: str = "t") -> tuple[bool, str | None]:
    verdict = TagFilter([MatchCondition("c", expr)]).evaluate("r", tag)
    return verdict.matched, verdict.errors[0].message if verdict.errors else None


@pytest.mark.parametrize(
    "expr",
    [
        "'hello'.charAt(4) == 'o'",
        "'hello'.charAt(5) == ''",
        "'hello mellow'.indexOf('') == 0",
        "'hello mellow'.indexOf('ello') == 1",
        "'hello mellow'.indexOf('jello') == -1",
        "'hello mellow'.indexOf('', 2) == 2",
        "'hello mellow'.indexOf('ello', 2) == 7",
        "'hello mellow'.indexOf('ello', 20) == -1",
        "['hello', 'mellow'].join() == 'hellomellow'",
        "['hello', 'mellow'].join(' ') == 'hello mellow'",
        "[].join() == ''",
        "[].join('/') == ''",
        "'hello mellow'.lastIndexOf('') == 12",
        "'hello mellow'.lastIndexOf('ello') == 7",
        "'hello mellow'.lastIndexOf('jello') == -1",
        "'hello mellow'.lastIndexOf('ello', 6) == 1",
        "'hello mellow'.lastIndexOf('ello', 20) == -1",
        "'TacoCat'.lowerAscii() == 'tacocat'",
        "'TacoCÆt Xii'.lowerAscii() == 'tacocÆt xii'",
        "'TacoCat'.upperAscii() == 'TACOCAT'",
        "'TacoCÆt Xii'.upperAscii() == 'TACOCÆT XII'",
        "strings.quote('single-quote with \"double quote\"')"
        ' == \'"single-quote with \\\\"double quote\\\\""\'',
        'strings.quote("two escape sequences \\a\\n") == \'"two escape sequences \\\\a\\\\n"\'',
        "'hello hello'.replace('he', 'we') == 'wello wello'",
        "'hello hello'.replace('he', 'we', -1) == 'wello wello'",
        "'hello hello'.replace('he', 'we', 1) == 'wello hello'",
        "'hello hello'.replace('he', 'we', 0) == 'hello hello'",
        "'hello hello'.replace('', '_') == '_h_e_l_l_o_ _h_e_l_l_o_'",
        "'hello hello'.replace('h', '') == 'ello ello'",
        "'hello hello hello'.split(' ') == ['hello', 'hello', 'hello']",
        "'hello hello hello'.split(' ', 0) == []",
        "'hello hello hello'.split(' ', 1) == ['hello hello hello']",
        "'hello hello hello'.split(' ', 2) == ['hello', 'hello hello']",
        "'hello hello hello'.split(' ', -1) == ['hello', 'hello', 'hello']",
        "'abc'.split('') == ['a', 'b', 'c']",
        "'abc'.split('', 2) == ['a', 'bc']",
        "'tacocat'.substring(4) == 'cat'",
        "'tacocat'.substring(0, 4) == 'taco'",
        "'tacocat'.substring(7) == ''",
        "'  \\ttrim\\n    '.trim() == 'trim'",
        "'gums'.reverse() == 'smug'",
        "'John Smith'.reverse() == 'htimS nhoJ'",
        "'this is a string: %s\\nand an integer: %d'.format(['str', 42])"
        " == 'this is a string: str\\nand an integer: 42'",
        "'a double substituted with %%s: %s'.format([64.2])"
        " == 'a double substituted with %s: 64.2'",
        "'%f'.format([3.14]) == '3.140000'",
        "'%.2f'.format([3.14159]) == '3.14'",
        "'5 in binary: %b'.format([5]) == '5 in binary: 101'",
        "'26 in hex: %x'.format([26]) == '26 in hex: 1a'",
        "'26 in hex (uppercase): %X'.format([26]) == '26 in hex (uppercase): 1A'",
        "'30 in octal: %o'.format([30]) == '30 in octal: 36'",
        "'true bool: %s - false bool: %s\\nbinary bool: %b'.format([true, false, true])"
        " == 'true bool: true - false bool: false\\nbinary bool: 1'",
        "'%x'.format(['Hello']) == '48656c6c6f'",
        "tag.matches('^v[0-9]+$') && tag.startsWith('v') && tag.endsWith('7') && tag.contains('1')",
        "tag.size() == 3 && size(tag) == 3",
        "tag.split('').exists(c, c == '7') && tag.split('').all(c, c != 'x')",
        "tag.split('').exists_one(c, c == 'v') && tag.split('').filter(c, c > '2').size() == 2",
        "tag.split('').map(c, c + c).join() == 'vv1177'",
    ],
)
def test_cel_go_documented_examples(expr: str) -> None:
    assert _verdict(expr, "v17") == (True, None)


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("'hello'.charAt(-1) == ''", "index out of range: -1"),
        ("'hello'.charAt(6) == ''", "index out of range: 6"),
        ("'hello mellow'.indexOf('ello', -1) == 1", "index out of range: -1"),
        ("'hello mellow'.lastIndexOf('ello', -1) == 1", "index out of range: -1"),
        ("'tacocat'.substring(-1) == ''", "index out of range: -1"),
        ("'tacocat'.substring(8) == ''", "index out of range: 8"),
        ("'tacocat'.substring(2, 1) == ''", "invalid substring range. start: 2, end: 1"),
        ("'tacocat'.substring(0, 8) == ''", "index out of range: 8"),
        ("'%b'.format(['x']) == ''", "only integers can be formatted with %b"),
        ("'%d %d %d'.format([1, 2]) == ''", "index 2 out of range"),
        ("'%d'.format(['x']) == ''", "decimal clause can only be used on integers"),
        ("'%q'.format([1]) == ''", "unrecognized formatting clause"),
    ],
)
def test_cel_go_errors(expr: str, message: str) -> None:
    matched, error = _verdict(expr)
    assert not matched
    assert error is not None and message in error


@pytest.mark.parametrize(
    ("expr", "fragment"),
    [
        ("tag.charAt('1') == ''", "no matching overload for 'string.charAt' applied to (string)"),
        ("tag.split() == []", "expected string.split(string) or string.split(string, int)"),
        ("tag.replace('a') == ''", "applied to (string)"),
        ("tag.substring(1, 2, 3) == ''", "applied to (int, int, int)"),
        ("tag.format('x') == ''", "applied to (string)"),
        ("tag.trim(1) == ''", "applied to (int)"),
        ("strings.quote(1) == ''", "strings.quote"),
        ("tag.lowerAscii == 'x'", "did you mean `.lowerAscii()`?"),
        ("tag.matches('[')", "invalid regular expression"),
        ("tag.size", "did you mean `.size()`?"),
        ("tag.size()", "must return a bool, returns int"),
        ("tag + 1 == 'x'", "no matching overload for '+' applied to (string, int)"),
        ("!tag", "no matching overload for '!' applied to (string)"),
        ("tag && true", "no matching overload for '&&'"),
        ("x.exists(y, y)", "undeclared reference to 'x'"),
        ("tag[0] == 'v'", "a string cannot be indexed"),
    ],
)
def test_static_errors(expr: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as err:
        TagFilter([MatchCondition("c", expr)])
    assert fragment in str(err.value)
