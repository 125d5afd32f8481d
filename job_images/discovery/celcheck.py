"""A static type check of tag-filter CEL, where cel-go's checker would refuse (pure).

Walks cel-python's parse tree with the declared variables (`tag`, `repository`:
string) and our functions' overloads. Types it cannot know are `dyn` and pass,
as in cel-go. A mistake raises `CheckError` with the column and, where cheap, a hint.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from lark import Token, Tree

DYN, STR, INT, UINT, DBL, BOOL, SV, LIST, MAP, NULL, BYTES = (
    "dyn", "string", "int", "uint", "double", "bool", "semver", "list", "map", "null", "bytes",
)  # fmt: skip
NUMERIC = {INT, UINT, DBL}
VARIABLES = {"tag": STR, "repository": STR}

# name -> overloads: (receiver or None for a global call, argument types, result)
Overload = tuple[str | None, tuple[str, ...], str]
OVERLOADS: dict[str, list[Overload]] = {
    "semver": [(None, (STR,), SV), (None, (STR, BOOL), SV)],
    "isSemver": [(None, (STR,), BOOL), (None, (STR, BOOL), BOOL)],
    "major": [(SV, (), INT)],
    "minor": [(SV, (), INT)],
    "patch": [(SV, (), INT)],
    "isGreaterThan": [(SV, (SV,), BOOL)],
    "isLessThan": [(SV, (SV,), BOOL)],
    "compareTo": [(SV, (SV,), INT)],
    "charAt": [(STR, (INT,), STR)],
    "indexOf": [(STR, (STR,), INT), (STR, (STR, INT), INT)],
    "lastIndexOf": [(STR, (STR,), INT), (STR, (STR, INT), INT)],
    "lowerAscii": [(STR, (), STR)],
    "upperAscii": [(STR, (), STR)],
    "replace": [(STR, (STR, STR), STR), (STR, (STR, STR, INT), STR)],
    "split": [(STR, (STR,), LIST), (STR, (STR, INT), LIST)],
    "substring": [(STR, (INT,), STR), (STR, (INT, INT), STR)],
    "trim": [(STR, (), STR)],
    "reverse": [(STR, (), STR)],
    "join": [(LIST, (), STR), (LIST, (STR,), STR)],
    "format": [(STR, (LIST,), STR)],
    "quote": [("strings", (STR,), STR)],
    "matches": [(STR, (STR,), BOOL), (None, (STR, STR), BOOL)],
    "startsWith": [(STR, (STR,), BOOL)],
    "endsWith": [(STR, (STR,), BOOL)],
    "contains": [(STR, (STR,), BOOL)],
    "size": [(STR, (), INT), (LIST, (), INT), (MAP, (), INT), (None, (DYN,), INT)],
    "int": [(None, (DYN,), INT)],
    "uint": [(None, (DYN,), UINT)],
    "double": [(None, (DYN,), DBL)],
    "string": [(None, (DYN,), STR)],
    "bool": [(None, (DYN,), BOOL)],
}
MACROS = {"exists", "all", "exists_one", "map", "filter"}
SEMVER_FIELDS = {"major", "minor", "patch"}
LITERALS = {"INT_LIT": INT, "UINT_LIT": UINT, "FLOAT_LIT": DBL, "STRING_LIT": STR,
            "MLSTRING_LIT": STR,
            "BYTES_LIT": BYTES, "BOOL_LIT": BOOL, "NULL_LIT": NULL}  # fmt: skip
RELATIONS = {"relation_lt": "<", "relation_le": "<=", "relation_gt": ">", "relation_ge": ">=",
             "relation_eq": "==", "relation_ne": "!=", "relation_in": "in"}  # fmt: skip
ARITH = {"addition_add": "+", "addition_sub": "-", "multiplication_mul": "*",
         "multiplication_div": "/", "multiplication_mod": "%"}  # fmt: skip


class CheckError(ValueError):
    def __init__(self, column: int | None, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def _col(node: Any) -> int | None:
    if isinstance(node, Token):
        return node.column
    return None if node.meta.empty else node.meta.column


def _unwrap(node: Any) -> Any:
    while isinstance(node, Tree) and len(node.children) == 1 and node.data in _WRAPPERS:
        node = node.children[0]
    return node


_WRAPPERS = {"expr", "conditionalor", "conditionaland", "relation", "addition",
             "multiplication", "unary", "member", "primary"}  # fmt: skip


def _check_regex(node: Any) -> None:
    """A constant pattern is compiled now, as cel-go does when it plans the program."""
    lit = _unwrap(node)
    if not (isinstance(lit, Tree) and lit.data == "literal"):
        return
    token = lit.children[0]
    if not (isinstance(token, Token) and token.type == "STRING_LIT"):
        return
    try:
        pattern = ast.literal_eval(str(token))
        re.compile(pattern)
    except re.error as exc:
        raise CheckError(_col(lit), f"invalid regular expression {pattern!r}: {exc}") from exc
    except (ValueError, SyntaxError):
        return


def _fits(actual: str, wanted: str) -> bool:
    return DYN in (actual, wanted) or actual == wanted


def _signature(name: str, ov: Overload) -> str:
    recv, args, _ = ov
    head = "" if recv is None else f"{recv}."
    return f"{head}{name}({', '.join(args)})"


def _call(node: Any, name: str, recv: str | None, args: list[str]) -> str:
    overloads = OVERLOADS.get(name)
    if overloads is None:
        if recv == SV and name in ("equals", "isEqual"):
            raise CheckError(
                _col(node), f"undeclared function '{name}'; compare semver values with =="
            )
        raise CheckError(_col(node), f"undeclared reference to '{name}'")
    for ov in overloads:
        want_recv, want_args, result = ov
        if (want_recv is None) != (recv is None) or len(want_args) != len(args):
            continue
        if want_recv is not None and want_recv != "strings" and not _fits(recv or DYN, want_recv):
            continue
        if want_recv == "strings" and recv != "strings":
            continue
        if all(_fits(a, w) for a, w in zip(args, want_args, strict=True)):
            return result
    shown = ", ".join(args)
    target = (
        f"{recv}.{name}" if recv and recv != "strings" else ("strings." + name if recv else name)
    )
    expected = " or ".join(_signature(name, ov) for ov in overloads)
    raise CheckError(
        _col(node),
        f"no matching overload for '{target}' applied to ({shown}); expected {expected}",
    )


class Checker:
    def __init__(self) -> None:
        self.scopes: list[dict[str, str]] = [dict(VARIABLES)]
        self.idents: set[str] = set()

    def check(self, node: Any) -> str:
        if isinstance(node, Token):
            return LITERALS.get(node.type, DYN)
        kind, kids = node.data, node.children
        method = getattr(self, "_" + kind, None)
        if method is not None:
            return str(method(node, kids))
        if kind in ("relation", "addition", "multiplication") and len(kids) == 2:
            op_node = kids[0]
            left = self.check(op_node.children[0])
            right = self.check(kids[1])
            if op_node.data in RELATIONS:
                return self._compare(node, RELATIONS[op_node.data], left, right)
            return self._arith(node, ARITH[op_node.data], left, right)
        types = [self.check(k) for k in kids]
        return types[0] if len(types) == 1 else DYN

    def _lookup(self, name: str) -> str | None:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return None

    def _ident(self, node: Tree[Any], kids: list[Any]) -> str:
        name = str(kids[0])
        found = self._lookup(name)
        if found is None:
            if name == "strings":
                return "strings"
            raise CheckError(
                _col(node), f"undeclared reference to '{name}' (variables: tag, repository)"
            )
        self.idents.add(name)
        return found

    def _literal(self, node: Tree[Any], kids: list[Any]) -> str:
        return self.check(kids[0])

    def _ident_arg(self, node: Tree[Any], kids: list[Any]) -> str:
        name = str(kids[0])
        args = (
            [self.check(a) for a in kids[1].children]
            if len(kids) > 1 and kids[1] is not None
            else []
        )
        if name == "has":
            return BOOL
        return _call(node, name, None, args)

    def _member_dot_arg(self, node: Tree[Any], kids: list[Any]) -> str:
        name = str(kids[1])
        arglist = kids[2].children if len(kids) > 2 and kids[2] is not None else []
        recv = self.check(kids[0])
        first = _unwrap(arglist[0]) if arglist else None
        if name in MACROS and isinstance(first, Tree) and first.data == "ident":
            var = str(first.children[0])
            self.scopes.append({var: DYN})
            try:
                body = [self.check(a) for a in arglist[1:]]
            finally:
                self.scopes.pop()
            if name == "map":
                return LIST
            if name == "filter":
                return LIST
            if body and not _fits(body[-1], BOOL):
                raise CheckError(_col(node), f"{name}() needs a bool condition, got {body[-1]}")
            return BOOL
        args = [self.check(a) for a in arglist]
        if name == "matches" and len(arglist) == 1:
            _check_regex(arglist[0])
        return _call(node, name, recv, args)

    def _member_dot(self, node: Tree[Any], kids: list[Any]) -> str:
        recv = self.check(kids[0])
        name = str(kids[1])
        if recv == SV:
            hint = f"; did you mean `.{name}()`?" if name in SEMVER_FIELDS else ""
            raise CheckError(_col(node), f"a semver value has no field '{name}'{hint}")
        if recv in (STR, INT, UINT, DBL, BOOL, LIST, BYTES, NULL):
            hint = f"; did you mean `.{name}()`?" if name in OVERLOADS else ""
            raise CheckError(_col(node), f"a {recv} has no field '{name}'{hint}")
        return DYN

    def _member_index(self, node: Tree[Any], kids: list[Any]) -> str:
        recv, idx = self.check(kids[0]), self.check(kids[1])
        if recv == LIST and not _fits(idx, INT) and idx not in NUMERIC:
            raise CheckError(_col(node), f"a list index must be an int, got {idx}")
        if recv in (STR, SV, INT, BOOL, DBL):
            raise CheckError(_col(node), f"a {recv} cannot be indexed")
        return DYN

    def _list_lit(self, node: Tree[Any], kids: list[Any]) -> str:
        for k in kids:
            self.check(k)
        return LIST

    def _map_lit(self, node: Tree[Any], kids: list[Any]) -> str:
        for k in kids:
            self.check(k)
        return MAP

    def _unary(self, node: Tree[Any], kids: list[Any]) -> str:
        op = kids[0].data if isinstance(kids[0], Tree) else ""
        value = self.check(kids[-1])
        if op == "unary_not" and not _fits(value, BOOL):
            raise CheckError(_col(node), f"no matching overload for '!' applied to ({value})")
        if op == "unary_neg" and not (_fits(value, INT) or value in NUMERIC):
            raise CheckError(_col(node), f"no matching overload for '-' applied to ({value})")
        return value

    def _expr(self, node: Tree[Any], kids: list[Any]) -> str:
        if len(kids) == 1:
            return self.check(kids[0])
        cond, a, b = (self.check(k) for k in kids)
        if not _fits(cond, BOOL):
            raise CheckError(_col(node), f"the condition of '? :' must be a bool, got {cond}")
        return a if a == b else DYN

    def _logical(self, node: Tree[Any], kids: list[Any], op: str) -> str:
        for k in kids:
            t = self.check(k)
            if not _fits(t, BOOL) and not (isinstance(k, Tree) and k.data.startswith(op)):
                raise CheckError(_col(k), f"no matching overload for '{op}' applied to a {t}")
        return BOOL

    def _conditionalor(self, node: Tree[Any], kids: list[Any]) -> str:
        return self.check(kids[0]) if len(kids) == 1 else self._logical(node, kids, "||")

    def _conditionaland(self, node: Tree[Any], kids: list[Any]) -> str:
        return self.check(kids[0]) if len(kids) == 1 else self._logical(node, kids, "&&")

    def _compare(self, node: Tree[Any], op: str, left: str, right: str) -> str:
        if op == "in":
            if right not in (LIST, MAP, DYN):
                raise CheckError(
                    _col(node), f"no matching overload for 'in' applied to ({left}, {right})"
                )
            return BOOL
        same = _fits(left, right) or (left in NUMERIC and right in NUMERIC) or NULL in (left, right)
        if op not in ("==", "!=") and left == SV:
            raise CheckError(
                _col(node),
                f"no matching overload for '{op}' applied to (semver, {right}); "
                "use .isGreaterThan(), .isLessThan() or .compareTo()",
            )
        if not same or (op not in ("==", "!=") and BOOL in (left, right) and left != right):
            raise CheckError(
                _col(node), f"no matching overload for '{op}' applied to ({left}, {right})"
            )
        return BOOL

    def _arith(self, node: Tree[Any], op: str, left: str, right: str) -> str:
        if not _fits(left, right) or (op != "+" and STR in (left, right)) or SV in (left, right):
            raise CheckError(
                _col(node), f"no matching overload for '{op}' applied to ({left}, {right})"
            )
        return left if left != DYN else right


def check(tree: Any) -> tuple[str, set[str]]:
    """The expression's type and the variables it reads; raises CheckError."""
    checker = Checker()
    result = checker.check(tree)
    return result, checker.idents
