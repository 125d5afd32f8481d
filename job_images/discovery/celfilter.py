"""CEL tag filters with Kubernetes' semver library and string extensions (pure).

Variables: `tag` (string) and `repository` (string). Every expression is compiled
AND evaluated against sample inputs when the filter is built, so a bad expression
is rejected before any registry request, with the condition's name and reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import celpy
from celpy import celtypes

from job_images.discovery.tags import parse_semver
from regscan.common.errors import InvalidInput

MAX_EXPRESSION_LENGTH = 4096
SAMPLE_INPUTS = (
    ("library/sample", "1.2.3"),
    ("library/sample", "v1.2.3"),
    ("library/sample", "latest"),
)


@dataclass(frozen=True)
class MatchCondition:
    name: str
    expression: str


@dataclass(frozen=True)
class ConditionError:
    """One condition's evaluation failure for one tag (the condition is then false)."""

    condition: str
    message: str


@dataclass(frozen=True)
class TagVerdict:
    """Whether a tag is kept, and the conditions whose evaluation failed on it."""

    matched: bool
    errors: tuple[ConditionError, ...] = ()


class SemverValue:
    """The value `semver(s)` returns inside CEL."""

    __slots__ = ("version",)

    def __init__(self, version: Any) -> None:
        self.version = version

    def __repr__(self) -> str:
        return f"semver({self.version})"


def _semver(s: Any, normalize: Any = False) -> SemverValue:
    if not isinstance(s, str):
        raise TypeError("semver() takes a string")
    version = parse_semver(str(s), normalize=bool(normalize))
    if version is None:
        raise ValueError(f"semver() cannot parse {str(s)!r}")
    return SemverValue(version)


def _is_semver(s: Any, normalize: Any = False) -> celtypes.BoolType:
    if not isinstance(s, str):
        raise TypeError("isSemver() takes a string")
    return celtypes.BoolType(parse_semver(str(s), normalize=bool(normalize)) is not None)


def _sv(x: Any) -> Any:
    if not isinstance(x, SemverValue):
        raise TypeError("expected a semver value")
    return x.version


def _compare(a: Any, b: Any) -> int:
    va, vb = _sv(a), _sv(b)
    return 0 if va == vb else (1 if va > vb else -1)


def _str(x: Any) -> str:
    if not isinstance(x, str):
        raise TypeError("expected a string")
    return str(x)


def _split(s: Any, sep: Any, limit: Any = -1) -> celtypes.ListType:
    parts = _str(s).split(_str(sep), int(limit) - 1 if int(limit) > 0 else -1)
    return celtypes.ListType([celtypes.StringType(p) for p in parts])


def _substring(s: Any, start: Any, end: Any = None) -> celtypes.StringType:
    text = _str(s)
    return celtypes.StringType(text[int(start) : None if end is None else int(end)])


def _join(items: Any, sep: Any = "") -> celtypes.StringType:
    return celtypes.StringType(_str(sep).join(_str(i) for i in items))


FUNCTIONS: dict[str, Callable[..., Any]] = {
    # Kubernetes semver library
    "semver": _semver,
    "isSemver": _is_semver,
    "isGreaterThan": lambda a, b: celtypes.BoolType(_compare(a, b) > 0),
    "isLessThan": lambda a, b: celtypes.BoolType(_compare(a, b) < 0),
    "compareTo": lambda a, b: celtypes.IntType(_compare(a, b)),
    "major": lambda a: celtypes.IntType(_sv(a).major),
    "minor": lambda a: celtypes.IntType(_sv(a).minor),
    "patch": lambda a: celtypes.IntType(_sv(a).patch),
    # common string extensions (cel-go ext.Strings)
    "lowerAscii": lambda s: celtypes.StringType(_str(s).lower()),
    "upperAscii": lambda s: celtypes.StringType(_str(s).upper()),
    "trim": lambda s: celtypes.StringType(_str(s).strip()),
    "replace": lambda s, a, b: celtypes.StringType(_str(s).replace(_str(a), _str(b))),
    "indexOf": lambda s, sub: celtypes.IntType(_str(s).find(_str(sub))),
    "lastIndexOf": lambda s, sub: celtypes.IntType(_str(s).rfind(_str(sub))),
    "charAt": lambda s, i: celtypes.StringType(_str(s)[int(i) : int(i) + 1]),
    "split": _split,
    "substring": _substring,
    "join": _join,
}


def _reason(exc: BaseException) -> str:
    """A one-line reason from cel-python's verbose errors."""
    parts: list[str] = []
    stack: list[Any] = [exc]
    while stack:
        item = stack.pop(0)
        if isinstance(item, BaseException):
            stack.extend(item.args)
        elif isinstance(item, tuple):
            stack.extend(item)
        elif isinstance(item, str) and item != "evaluation error":
            parts.append(item)
    text = parts[0] if parts else type(exc).__name__
    text = re.sub(r" \(in (activation|container).*", "", text, flags=re.S)
    return " ".join(text.split())[:300]


class TagFilter:
    """Compiled match conditions combined with And (default) or Or."""

    def __init__(
        self,
        conditions: Sequence[MatchCondition],
        operator: str = "and",
        field: str = "tag-filter",
    ) -> None:
        op = operator.lower()
        if op not in ("and", "or"):
            raise InvalidInput("match-operator", f"{operator!r} is not And or Or")
        self.operator = op
        self.conditions = list(conditions)
        self._env = celpy.Environment(runner_class=celpy.InterpretedRunner)
        self._programs: list[tuple[MatchCondition, Any]] = []
        for i, cond in enumerate(self.conditions):
            label = f"{field}[{cond.name or i}]"
            self._programs.append((cond, self._compile(cond, label)))

    def _compile(self, cond: MatchCondition, label: str) -> Any:
        expr = cond.expression.strip()
        if not expr:
            raise InvalidInput(label, "expression is empty")
        if len(expr) > MAX_EXPRESSION_LENGTH:
            raise InvalidInput(label, f"expression longer than {MAX_EXPRESSION_LENGTH} chars")
        try:
            program = self._env.program(self._env.compile(expr), functions=FUNCTIONS)
        except Exception as exc:  # cel-python raises several unrelated types here
            raise InvalidInput(label, f"does not parse: {_reason(exc)}") from exc
        ok = 0
        first_error = ""
        for repository, tag in SAMPLE_INPUTS:
            try:
                value = program.evaluate(_activation(repository, tag))
            except Exception as exc:
                reason = _reason(exc)
                if _static_error(reason):
                    raise InvalidInput(label, reason) from exc
                first_error = first_error or reason
                continue
            if not isinstance(value, celtypes.BoolType):
                raise InvalidInput(label, f"must return a bool, returned {type(value).__name__}")
            ok += 1
        if ok == 0:
            raise InvalidInput(label, f"fails on every sample tag: {first_error}")
        return program

    def evaluate(self, repository: str, tag: str) -> TagVerdict:
        """Whether the tag is kept and which conditions failed to evaluate.

        Changes nothing, so any thread may call it. A value-dependent error
        (e.g. `semver('latest')`) makes its condition false. Conditions are
        short-circuited like `&&` / `||`.
        """
        errors: list[ConditionError] = []
        want_all = self.operator == "and"
        for cond, program in self._programs:
            ok, error = _eval(program, repository, tag)
            if error is not None:
                errors.append(ConditionError(cond.name, error))
            if ok != want_all:
                return TagVerdict(ok, tuple(errors))
        return TagVerdict(want_all or not self._programs, tuple(errors))

    def matches(self, repository: str, tag: str) -> bool:
        """Whether the tag is kept (`evaluate` without the errors)."""
        return self.evaluate(repository, tag).matched


def _eval(program: Any, repository: str, tag: str) -> tuple[bool, str | None]:
    try:
        value = program.evaluate(_activation(repository, tag))
    except Exception as exc:  # a value-dependent error (e.g. semver('latest')): no match
        return False, _reason(exc)
    return isinstance(value, celtypes.BoolType) and bool(value), None


def _static_error(reason: str) -> bool:
    """Errors no tag value can avoid (unknown names, type mismatches of literals)."""
    if "undeclared reference" in reason:
        return True
    return "no matching overload" in reason and "CELEvalError" not in reason


def _activation(repository: str, tag: str) -> dict[str, Any]:
    return {"tag": celtypes.StringType(tag), "repository": celtypes.StringType(repository)}


def parse_cli_conditions(expressions: Sequence[str]) -> list[MatchCondition]:
    """`--tag-filter` values; `name=expr` is not supported (CEL has '='), so names are indexes."""
    return [MatchCondition(name=f"filter-{i}", expression=e) for i, e in enumerate(expressions)]
