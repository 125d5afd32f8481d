"""Repository/tag name grammar (distribution reference) and repository globs (pure).

Names come from untrusted registries; anything outside the grammar is rejected
before it reaches a URL path, a file path or an argv.
"""

from __future__ import annotations

import re
from functools import lru_cache

from regscan.common.errors import InvalidInput

_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
REPOSITORY_RE = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
MAX_REPOSITORY_LENGTH = 255


def valid_repository(name: str) -> bool:
    return len(name) <= MAX_REPOSITORY_LENGTH and bool(REPOSITORY_RE.match(name))


def valid_tag(tag: str) -> bool:
    return bool(TAG_RE.match(tag))


def is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


@lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """`*` and `?` stay within one path segment; `**` crosses segments."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i)
            if end < 0:
                raise InvalidInput("repository", f"{pattern!r}: unclosed '['")
            out.append("[" + re.escape(pattern[i + 1 : end]) + "]")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("^" + "".join(out) + "$")


def validate_pattern(pattern: str) -> str:
    text = pattern.strip().strip("/")
    if not text:
        raise InvalidInput("repository", "is empty")
    if is_glob(text):
        glob_regex(text)
        literal = re.sub(r"[*?]|\[[^\]]*\]", "x", text)
        if not REPOSITORY_RE.match(literal.replace("xx", "x")):
            raise InvalidInput("repository", f"{pattern!r} is not a valid repository glob")
    elif not valid_repository(text):
        raise InvalidInput("repository", f"{pattern!r} is not a valid repository name")
    return text


def matches(pattern: str, name: str) -> bool:
    return glob_regex(pattern).match(name) is not None if is_glob(pattern) else pattern == name


DOCKER_HUB_HOSTS = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})


def is_docker_hub(host: str) -> bool:
    """Is `host` (host[:port]) Docker Hub?"""
    name, _, port = host.lower().partition(":")
    return name in DOCKER_HUB_HOSTS and port in ("", "443")


def hub_name(host: str, name: str) -> str:
    """Docker Hub's official images live under `library/`: `busybox` means
    `library/busybox` there (as `docker pull busybox` does); elsewhere names are kept."""
    if is_docker_hub(host) and "/" not in name and not is_glob(name):
        return f"library/{name}"
    return name
