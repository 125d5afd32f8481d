"""cel-go's `ext.Strings` functions, with cel-go's results and errors (pure).

Mirrors cel-go's ext/strings.go at the version Kubernetes vendors (Kubernetes enables
strings version 2; `reverse` is version 3, added here too). Indexes count code
points, like cel-go's runes. Every error is a `ValueError` with cel-go's message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celpy import celtypes

_LOWER = str.maketrans({chr(c): chr(c + 32) for c in range(ord("A"), ord("Z") + 1)})
_UPPER = str.maketrans({chr(c): chr(c - 32) for c in range(ord("a"), ord("z") + 1)})
# Go's unicode.IsSpace (strings.TrimSpace)
_SPACE = "\t\n\v\f\r \x85\xa0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B))
_SPACE += "\u2028\u2029\u202f\u205f\u3000"
_QUOTE = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_QUOTE |= {"\v": "\\v", "\\": "\\\\", '"': '\\"'}


class StringsMarker(celtypes.StringType):
    """The value of the `strings` namespace, so `strings.quote(s)` resolves."""


def _s(x: Any) -> celtypes.StringType:
    return celtypes.StringType(x)


def _range_error(i: int) -> ValueError:
    return ValueError(f"index out of range: {i}")


def char_at(s: str, i: int) -> celtypes.StringType:
    i = int(i)
    if i < 0 or i > len(s):
        raise _range_error(i)
    return _s(s[i : i + 1])


def index_of(s: str, sub: str, offset: int = 0) -> celtypes.IntType:
    off = int(offset)
    if sub == "":
        return celtypes.IntType(off)
    if off < 0:
        raise _range_error(off)
    if off >= len(s):
        return celtypes.IntType(-1)
    return celtypes.IntType(str(s).find(sub, off))


def last_index_of(s: str, sub: str, offset: int | None = None) -> celtypes.IntType:
    off = len(s) if offset is None else int(offset)
    if sub == "":
        return celtypes.IntType(off)
    if offset is None:
        return celtypes.IntType(str(s).rfind(sub))
    if off < 0:
        raise _range_error(off)
    if off >= len(s):
        return celtypes.IntType(-1)
    return celtypes.IntType(str(s).rfind(sub, 0, off + len(sub)))


def replace(s: str, old: str, new: str, n: int = -1) -> celtypes.StringType:
    count = int(n)
    return _s(str(s).replace(old, new, count if count >= 0 else -1))


def split(s: str, sep: str, n: int = -1) -> celtypes.ListType:
    limit = int(n)
    if limit == 0:
        return celtypes.ListType([])
    text = str(s)
    if sep == "":  # Go's explode: one part per code point, the last holds the rest
        parts = (
            list(text)
            if limit < 0 or limit >= len(text)
            else [*text[: limit - 1], text[limit - 1 :]]
        )
    else:
        parts = text.split(sep, limit - 1 if limit > 0 else -1)
    return celtypes.ListType([_s(p) for p in parts])


def substring(s: str, start: int, end: int | None = None) -> celtypes.StringType:
    a = int(start)
    if end is None:
        if a < 0 or a > len(s):
            raise _range_error(a)
        return _s(s[a:])
    b = int(end)
    if a > b:
        raise ValueError(f"invalid substring range. start: {a}, end: {b}")
    for i in (a, b):
        if i < 0 or i > len(s):
            raise _range_error(i)
    return _s(s[a:b])


def join(items: Any, sep: str = "") -> celtypes.StringType:
    parts = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"join: list element {item!r} is not a string")
        parts.append(str(item))
    return _s(str(sep).join(parts))


def quote(_namespace: Any, s: str) -> celtypes.StringType:
    return _s('"' + "".join(_QUOTE.get(c, c) for c in str(s)) + '"')


def _format_one(verb: str, arg: Any) -> str:
    if verb == "s":
        if isinstance(arg, celtypes.BoolType):
            return "true" if arg else "false"
        if arg is None:
            return "null"
        if isinstance(arg, celtypes.ListType):
            return "[" + ", ".join(_format_one("s", a) for a in arg) + "]"
        return str(arg)
    if verb == "d":
        if isinstance(arg, celtypes.BoolType) or not isinstance(arg, int | float):
            raise _format_error("decimal clause can only be used on integers", arg)
        return str(int(arg))
    if verb in "fe":
        if isinstance(arg, celtypes.BoolType) or not isinstance(arg, int | float):
            raise _format_error("fixed-point clause can only be used on doubles", arg)
        return format(float(arg), "." + ("6f" if verb == "f" else "6e"))
    if verb in "bxXo":
        if isinstance(arg, celtypes.BoolType) and verb == "b":
            return "1" if arg else "0"
        if isinstance(arg, str) and verb in "xX":
            out = str(arg).encode().hex()
            return out.upper() if verb == "X" else out
        if isinstance(arg, celtypes.BoolType) or not isinstance(arg, int):
            raise _format_error(f"only integers can be formatted with %{verb}", arg)
        return format(int(arg), verb)
    raise ValueError(f'could not parse formatting clause: unrecognized formatting clause "{verb}"')


def _format_error(what: str, arg: Any) -> ValueError:
    return ValueError(f"error during formatting: {what}, was given {_type(arg)}")


def _type(arg: Any) -> str:
    return type(arg).__name__.removesuffix("Type").lower() if arg is not None else "null"


def format_(s: str, args: Any) -> celtypes.StringType:
    out: list[str] = []
    text, i, used = str(s), 0, 0
    values = list(args)
    while i < len(text):
        c = text[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        if i + 1 >= len(text):
            raise ValueError("unexpected end of string")
        verb = text[i + 1]
        precision: int | None = None
        j = i + 1
        if verb == ".":
            k = j + 1
            while k < len(text) and text[k].isdigit():
                k += 1
            precision, verb, j = int(text[j + 1 : k] or 0), text[k : k + 1], k
        i = j + 1
        if verb == "%":
            out.append("%")
            continue
        if used >= len(values):
            raise ValueError(f"index {used} out of range")
        piece = _format_one(verb, values[used])
        if precision is not None and verb in "fe":
            piece = format(float(values[used]), f".{precision}{verb}")
        out.append(piece)
        used += 1
    return _s("".join(out))


def reverse(s: str) -> celtypes.StringType:
    return _s(str(s)[::-1])


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "charAt": char_at,
    "indexOf": index_of,
    "lastIndexOf": last_index_of,
    "lowerAscii": lambda s: _s(str(s).translate(_LOWER)),
    "upperAscii": lambda s: _s(str(s).translate(_UPPER)),
    "replace": replace,
    "split": split,
    "substring": substring,
    "trim": lambda s: _s(str(s).strip(_SPACE)),
    "join": join,
    "quote": quote,
    "format": format_,
    "reverse": reverse,
}
