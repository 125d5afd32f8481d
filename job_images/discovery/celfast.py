"""A closure compiler for type-checked tag-filter CEL: cel-python's semantics, faster (pure).

cel-python walks its parse tree on every evaluation (~0.5 ms per tag and condition);
discovery evaluates every tag of every repository. `compile_fast` turns a checked
tree into nested Python closures once. It covers what tag filters use (literals,
`tag`/`repository`, calls, methods, the list macros, operators with CEL's
error-absorbing `&&`/`||`/`?:`); anything else raises `Unsupported` and the caller
keeps cel-python's program. A differential test compares both on a table.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import celpy
from celpy import celtypes
from lark import Token, Tree

Env = dict[str, Any]
Fn = Callable[[Env], Any]


@lru_cache(maxsize=1)
def _literal_env() -> celpy.Environment:
    """Built on first use: its parser takes ~0.3 s to build, which a run without CEL
    (or without literals to fold) should not pay at import."""
    return celpy.Environment(runner_class=celpy.InterpretedRunner)


_RELATIONS: dict[str, Callable[[Any, Any], Any]] = {
    "relation_lt": lambda a, b: a < b,
    "relation_le": lambda a, b: a <= b,
    "relation_gt": lambda a, b: a > b,
    "relation_ge": lambda a, b: a >= b,
    "relation_eq": lambda a, b: a == b,
    "relation_ne": lambda a, b: a != b,
    "relation_in": lambda a, b: a in b,
}
_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "addition_add": lambda a, b: a + b,
    "addition_sub": lambda a, b: a - b,
    "multiplication_mul": lambda a, b: a * b,
    "multiplication_div": lambda a, b: a / b,
    "multiplication_mod": lambda a, b: a % b,
}


class Unsupported(Exception):
    """A construct this compiler does not cover: use cel-python's program."""


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _to_int(x: Any) -> celtypes.IntType:
    if isinstance(x, str):
        try:
            return celtypes.IntType(int(str(x), 10))
        except ValueError as exc:
            raise ValueError(f"{str(x)!r} is not an int") from exc
    return celtypes.IntType(x)


BUILTINS: dict[str, Callable[..., Any]] = {
    "startsWith": lambda s, p: celtypes.BoolType(str(s).startswith(p)),
    "endsWith": lambda s, p: celtypes.BoolType(str(s).endswith(p)),
    "contains": lambda s, p: celtypes.BoolType(p in str(s)),
    "matches": lambda s, p: celtypes.BoolType(_regex(str(p)).search(str(s)) is not None),
    "size": lambda x: celtypes.IntType(len(x)),
    "int": _to_int,
    "string": lambda x: celtypes.StringType(x),
}


def _bool(value: Any) -> bool:
    if not isinstance(value, celtypes.BoolType):
        raise TypeError("no such overload: a logical operator needs bools")
    return bool(value)


def _and(a: Fn, b: Fn) -> Fn:
    def run(env: Env) -> Any:
        try:
            left = _bool(a(env))
        except Exception:
            if not _bool(b(env)):
                return celtypes.BoolType(False)
            raise
        return celtypes.BoolType(_bool(b(env))) if left else celtypes.BoolType(False)

    return run


def _or(a: Fn, b: Fn) -> Fn:
    def run(env: Env) -> Any:
        try:
            left = _bool(a(env))
        except Exception:
            if _bool(b(env)):
                return celtypes.BoolType(True)
            raise
        return celtypes.BoolType(True) if left else celtypes.BoolType(_bool(b(env)))

    return run


class Compiler:
    def __init__(self, functions: dict[str, Callable[..., Any]]) -> None:
        self.functions = {**BUILTINS, **functions}

    def fn(self, name: str) -> Callable[..., Any]:
        try:
            return self.functions[name]
        except KeyError:
            raise Unsupported(name) from None

    def compile(self, node: Any) -> Fn:
        if isinstance(node, Token):
            raise Unsupported(node.type)
        kind, kids = node.data, node.children
        if len(kids) == 1 and kind in (
            "expr", "conditionalor", "conditionaland", "relation", "addition",
            "multiplication", "unary", "member", "primary",
        ):  # fmt: skip
            return self.compile(kids[0])
        method = getattr(self, "_" + kind, None)
        if method is None:
            raise Unsupported(kind)
        result: Fn = method(kids)
        return result

    def _expr(self, kids: list[Any]) -> Fn:
        cond, yes, no = (self.compile(k) for k in kids)
        return lambda env: yes(env) if _bool(cond(env)) else no(env)

    def _conditionalor(self, kids: list[Any]) -> Fn:
        return _or(self.compile(kids[0]), self.compile(kids[1]))

    def _conditionaland(self, kids: list[Any]) -> Fn:
        return _and(self.compile(kids[0]), self.compile(kids[1]))

    def _binary(self, kids: list[Any], table: dict[str, Callable[[Any, Any], Any]]) -> Fn:
        op = kids[0]
        if not isinstance(op, Tree) or op.data not in table:
            raise Unsupported("operator")
        func = table[op.data]
        left, right = self.compile(op.children[0]), self.compile(kids[1])
        if op.data in ("relation_eq", "relation_ne", "relation_in"):
            return lambda env: celtypes.BoolType(func(left(env), right(env)))
        return lambda env: _wrap(func(left(env), right(env)))

    def _relation(self, kids: list[Any]) -> Fn:
        return self._binary(kids, _RELATIONS)

    def _addition(self, kids: list[Any]) -> Fn:
        return self._binary(kids, _ARITH)

    def _multiplication(self, kids: list[Any]) -> Fn:
        return self._binary(kids, _ARITH)

    def _unary(self, kids: list[Any]) -> Fn:
        op, value = kids[0], self.compile(kids[-1])
        if isinstance(op, Tree) and op.data == "unary_not" and len(kids) == 2:
            return lambda env: celtypes.BoolType(not _bool(value(env)))
        if isinstance(op, Tree) and op.data == "unary_neg" and len(kids) == 2:
            return lambda env: -value(env)
        raise Unsupported("unary")

    def _literal(self, kids: list[Any]) -> Fn:
        text = str(kids[0])
        env = _literal_env()
        value = env.program(env.compile(text)).evaluate({})
        return lambda env: value

    def _ident(self, kids: list[Any]) -> Fn:
        name = str(kids[0])
        return lambda env: env[name]

    def _args(self, node: Any) -> list[Fn]:
        return [] if node is None else [self.compile(a) for a in node.children]

    def _ident_arg(self, kids: list[Any]) -> Fn:
        func = self.fn(str(kids[0]))
        args = self._args(kids[1] if len(kids) > 1 else None)
        return lambda env: func(*(a(env) for a in args))

    def _member_dot_arg(self, kids: list[Any]) -> Fn:
        name = str(kids[1])
        exprs = kids[2].children if len(kids) > 2 and kids[2] is not None else []
        target = self.compile(kids[0])
        if name in ("exists", "all", "exists_one", "map", "filter"):
            return self._macro(name, target, exprs)
        func = self.fn(name)
        args = [self.compile(a) for a in exprs]
        return lambda env: func(target(env), *(a(env) for a in args))

    def _macro(self, name: str, target: Fn, exprs: list[Any]) -> Fn:
        if len(exprs) != 2:
            raise Unsupported(name)
        var = _ident_name(exprs[0])
        body = self.compile(exprs[1])

        def values(env: Env) -> list[Any]:
            scope = dict(env)
            out = []
            for item in target(env):
                scope[var] = item
                out.append(body(scope))
            return out

        if name == "map":
            return lambda env: celtypes.ListType(values(env))
        if name == "filter":

            def run_filter(env: Env) -> Any:
                items = list(target(env))
                return celtypes.ListType(
                    [i for i, keep in zip(items, values(env), strict=True) if _bool(keep)]
                )

            return run_filter
        if name == "exists_one":
            return lambda env: celtypes.BoolType(sum(_bool(v) for v in values(env)) == 1)
        if name == "all":
            return lambda env: celtypes.BoolType(all(_bool(v) for v in values(env)))
        return lambda env: celtypes.BoolType(any(_bool(v) for v in values(env)))

    def _member_index(self, kids: list[Any]) -> Fn:
        target, index = self.compile(kids[0]), self.compile(kids[1])
        return lambda env: _index(target(env), index(env))

    def _list_lit(self, kids: list[Any]) -> Fn:
        items = self._args(kids[0] if kids else None)
        return lambda env: celtypes.ListType([i(env) for i in items])


def _ident_name(node: Any) -> str:
    while isinstance(node, Tree) and len(node.children) == 1 and isinstance(node.children[0], Tree):
        node = node.children[0]
    if isinstance(node, Tree) and node.data == "ident":
        return str(node.children[0])
    raise Unsupported("macro variable")


def _index(target: Any, index: Any) -> Any:
    if isinstance(target, list) and (not isinstance(index, int) or index < 0):
        raise IndexError(f"invalid index {index}")
    return target[index]


def _wrap(value: Any) -> Any:
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    return value


def compile_fast(tree: Any, functions: dict[str, Callable[..., Any]]) -> Fn:
    """The checked expression as a closure over {"tag", "repository", ...}, or Unsupported."""
    return Compiler(functions).compile(tree)
