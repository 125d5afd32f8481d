"""CEL tag filters with Kubernetes' semver library and string extensions (pure).

Variables: `tag` (string) and `repository` (string). Every expression is parsed and
type-checked (celcheck.py) when the filter is built, so a bad expression is rejected
before any registry request, with the condition's name, the column and the reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import celpy
from celpy import celtypes

from job_images.discovery import celcheck, celfast, celstrings
from job_images.discovery.semverk8s import (
    SemverError,
    Version,
    normalize_and_parse,
    parse,
    try_parse,
)
from regscan.common.errors import InvalidInput

MAX_EXPRESSION_LENGTH = 4096
MAX_CACHED_TAGS = 500_000


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
    """The value `semver(s)` returns inside CEL; `==` is the version's (build ignored)."""

    __slots__ = ("version",)

    def __init__(self, version: Version) -> None:
        self.version = version

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SemverValue) and self.version == other.version

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self.version)

    def __repr__(self) -> str:
        return f"semver({self.version})"


def _semver(s: Any, normalize: Any = False) -> SemverValue:
    text = str(s)
    try:
        version = normalize_and_parse(text) if normalize else parse(text)
    except SemverError as exc:
        raise ValueError(f"semver({text!r}): {exc}") from exc
    return SemverValue(version)


def _is_semver(s: Any, normalize: Any = False) -> celtypes.BoolType:
    return celtypes.BoolType(try_parse(str(s), bool(normalize)) is not None)


def _compare(a: SemverValue, b: SemverValue) -> int:
    return a.version.compare(b.version)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    # Kubernetes semver library
    "semver": _semver,
    "isSemver": _is_semver,
    "isGreaterThan": lambda a, b: celtypes.BoolType(_compare(a, b) > 0),
    "isLessThan": lambda a, b: celtypes.BoolType(_compare(a, b) < 0),
    "compareTo": lambda a, b: celtypes.IntType(_compare(a, b)),
    "major": lambda a: celtypes.IntType(a.version.major),
    "minor": lambda a: celtypes.IntType(a.version.minor),
    "patch": lambda a: celtypes.IntType(a.version.patch),
    **celstrings.FUNCTIONS,
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
    generic = ("return error for overflow", "no such overload")
    specific = [p for p in parts if p not in generic]
    text = specific[0] if specific else (parts[0] if parts else "evaluation failed")
    text = re.sub(r" \(in (activation|container).*", "", text, flags=re.S)
    text = re.sub(r"\b[A-Z]\w*Type\((.*?)\)", r"\1", text)  # celtypes.StringType('x') -> 'x'
    text = text.replace("invalid literal for int() with base 10", "not an int")
    return " ".join(text.split())[:300]


def _parse_error(exc: BaseException, expr: str) -> str:
    """`does not parse at column N: ...` without lark's token names."""
    column = getattr(exc, "column", None)
    if column is None:
        caret = str(exc.args[0]) if exc.args else ""
        lines = caret.splitlines()
        if len(lines) >= 2 and "^" in lines[1]:
            column = lines[1].index("^") + 1
    where = f" at column {column}" if column else ""
    near = ""
    if column and 0 < column <= len(expr):
        near = f" near {expr[column - 1 : column + 9]!r}"
    elif column:
        near = " (the expression ends too early)"
    return f"does not parse{where}{near}"


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
        self._uses_repository = False
        for i, cond in enumerate(self.conditions):
            label = f"{field}[{cond.name or i}]"
            self._programs.append((cond, self._compile(cond, label)))
        self._cache: dict[str, TagVerdict] = {}

    def _compile(self, cond: MatchCondition, label: str) -> Any:
        expr = cond.expression.strip()
        if not expr:
            raise InvalidInput(label, "expression is empty")
        if len(expr) > MAX_EXPRESSION_LENGTH:
            raise InvalidInput(label, f"expression longer than {MAX_EXPRESSION_LENGTH} chars")
        try:
            tree = self._env.compile(expr)
        except Exception as exc:  # cel-python raises several unrelated types here
            raise InvalidInput(label, _parse_error(exc, expr)) from exc
        try:
            result, idents = celcheck.check(tree)
        except celcheck.CheckError as exc:
            where = f"column {exc.column}: " if exc.column else ""
            raise InvalidInput(label, f"{where}{exc.message}") from exc
        if result not in (celcheck.BOOL, celcheck.DYN):
            raise InvalidInput(label, f"must return a bool, returns {result}")
        self._uses_repository = self._uses_repository or "repository" in idents
        try:
            return celfast.compile_fast(tree, FUNCTIONS)
        except celfast.Unsupported:
            return self._env.program(tree, functions=FUNCTIONS).evaluate

    def evaluate(self, repository: str, tag: str) -> TagVerdict:
        """Whether the tag is kept and which conditions failed to evaluate.

        A value-dependent error (e.g. `semver('latest')`) makes its condition
        false. Conditions are short-circuited like `&&` / `||`. When no condition
        reads `repository`, each distinct tag is evaluated once (a dict memo;
        safe to share between threads).
        """
        if not self._uses_repository:
            cached = self._cache.get(tag)
            if cached is None:
                cached = self._evaluate(repository, tag)
                if len(self._cache) < MAX_CACHED_TAGS:
                    self._cache[tag] = cached
            return cached
        return self._evaluate(repository, tag)

    def _evaluate(self, repository: str, tag: str) -> TagVerdict:
        errors: list[ConditionError] = []
        want_all = self.operator == "and"
        activation = _activation(repository, tag)
        for cond, program in self._programs:
            ok, error = _eval(program, activation)
            if error is not None:
                errors.append(ConditionError(cond.name, error))
            if ok != want_all:
                return TagVerdict(ok, tuple(errors))
        return TagVerdict(want_all or not self._programs, tuple(errors))

    def matches(self, repository: str, tag: str) -> bool:
        """Whether the tag is kept (`evaluate` without the errors)."""
        return self.evaluate(repository, tag).matched


def _eval(program: Any, activation: dict[str, Any]) -> tuple[bool, str | None]:
    try:
        value = program(activation)
    except Exception as exc:  # a value-dependent error (e.g. semver('latest')): no match
        return False, _reason(exc)
    if not isinstance(value, celtypes.BoolType):
        return False, f"returned {type(value).__name__.removesuffix('Type').lower()}, not a bool"
    return bool(value), None


def _activation(repository: str, tag: str) -> dict[str, Any]:
    return {
        "tag": celtypes.StringType(tag),
        "repository": celtypes.StringType(repository),
        "strings": celstrings.StringsMarker("strings"),
    }


def parse_cli_conditions(expressions: Sequence[str]) -> list[MatchCondition]:
    """`--tag-filter` values; `name=expr` is not supported (CEL has '='), so names are indexes."""
    return [MatchCondition(name=f"filter-{i}", expression=e) for i, e in enumerate(expressions)]
