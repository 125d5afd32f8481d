"""Semantic versions exactly as Kubernetes' CEL semver library reads them (pure).

`parse` is blang/semver v4's `Parse` (what Kubernetes vendors) and `normalize_and_parse`
the library's `normalizeAndParse`: strip one lower-case `v`, strip leading zeros in
major/minor/patch, pad a 1- or 2-part version with `.0`, and refuse a short version
carrying a pre-release or build part. Comparison ignores build metadata (blang's
`Compare`), so `==` on two versions does too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import total_ordering

_NUMBERS = frozenset("0123456789")
_ALPHANUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789")
_UINT64_MAX = 2**64 - 1


class SemverError(ValueError):
    """A string is not a semantic version (blang/semver's message)."""


@total_ordering
@dataclass(frozen=True, eq=False)
class Version:
    major: int
    minor: int
    patch: int
    pre: tuple[int | str, ...] = ()
    build: tuple[str, ...] = field(default=())

    def compare(self, other: Version) -> int:
        """-1, 0 or 1; build metadata is ignored (blang/semver `Compare`)."""
        a, b = (self.major, self.minor, self.patch), (other.major, other.minor, other.patch)
        if a != b:
            return 1 if a > b else -1
        if not self.pre or not other.pre:
            return (not self.pre) - (not other.pre)
        for x, y in zip(self.pre, other.pre, strict=False):
            c = _compare_pre(x, y)
            if c:
                return c
        return (len(self.pre) > len(other.pre)) - (len(self.pre) < len(other.pre))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self.compare(other) == 0

    def __lt__(self, other: Version) -> bool:
        return self.compare(other) < 0

    def __hash__(self) -> int:
        return hash((self.major, self.minor, self.patch, self.pre))

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.pre:
            text += "-" + ".".join(str(p) for p in self.pre)
        if self.build:
            text += "+" + ".".join(self.build)
        return text


def _compare_pre(x: int | str, y: int | str) -> int:
    if isinstance(x, int) != isinstance(y, int):
        return -1 if isinstance(x, int) else 1
    return (x > y) - (x < y)  # type: ignore[operator]


def _only(s: str, allowed: frozenset[str]) -> bool:
    return all(c in allowed for c in s)


def _number(text: str, what: str) -> int:
    if not _only(text, _NUMBERS):
        raise SemverError(f"Invalid character(s) found in {what} number {text!r}")
    if len(text) > 1 and text[0] == "0":
        raise SemverError(f"{what.capitalize()} number must not contain leading zeroes {text!r}")
    if not text or int(text) > _UINT64_MAX:
        raise SemverError(f"invalid {what} number {text!r}")
    return int(text)


def parse(s: str) -> Version:
    """blang/semver v4 `Parse`: strict `MAJOR.MINOR.PATCH[-PRE][+BUILD]`."""
    if not s:
        raise SemverError("Version string empty")
    parts = s.split(".", 2)
    if len(parts) != 3:
        raise SemverError("No Major.Minor.Patch elements found")
    major = _number(parts[0], "major")
    minor = _number(parts[1], "minor")
    rest, build_text, pre_text = parts[2], None, None
    if "+" in rest:
        rest, build_text = rest.split("+", 1)
    if "-" in rest:
        rest, pre_text = rest.split("-", 1)
    patch = _number(rest, "patch")
    pre: list[int | str] = []
    for item in pre_text.split(".") if pre_text is not None else []:
        if not item:
            raise SemverError("Prerelease is empty")
        if _only(item, _NUMBERS):
            if len(item) > 1 and item[0] == "0":
                raise SemverError(
                    f"Numeric PreRelease version must not contain leading zeroes {item!r}"
                )
            pre.append(int(item))
        elif _only(item, _ALPHANUM):
            pre.append(item)
        else:
            raise SemverError(f"Invalid character(s) found in prerelease {item!r}")
    build: list[str] = []
    for item in build_text.split(".") if build_text is not None else []:
        if not item:
            raise SemverError("Build meta data is empty")
        if not _only(item, _ALPHANUM):
            raise SemverError(f"Invalid character(s) found in build meta data {item!r}")
        build.append(item)
    return Version(major, minor, patch, tuple(pre), tuple(build))


def normalize_and_parse(s: str) -> Version:
    """Kubernetes' `normalizeAndParse` (what `semver(s, true)` and `isSemver(s, true)` use)."""
    if s.startswith("v"):
        s = s[1:]
    parts = s.split(".", 2)
    for i, p in enumerate(parts):
        if len(p) > 1:
            p = p.lstrip("0")
            if not p or p[0] not in _NUMBERS:
                p = "0" + p
            parts[i] = p
    if len(parts) < 3:
        if "+" in parts[-1] or "-" in parts[-1]:
            raise SemverError("short version cannot contain PreRelease/Build meta data")
        parts += ["0"] * (3 - len(parts))
    return parse(".".join(parts))


def try_parse(s: str, normalize: bool) -> Version | None:
    """The version, or None when `isSemver(s, normalize)` is false."""
    try:
        return normalize_and_parse(s) if normalize else parse(s)
    except SemverError:
        return None
