"""Platform parsing, validation and matching (pure).

Vocabulary follows Go's GOOS/GOARCH (as OCI image-spec and containerd do), with
containerd's normalisation (aarch64 -> arm64, x86_64 -> amd64, arm64's default v8).
A platform's text is `os/arch[/variant][:os.version]` (Windows images differ by
os.version); a filter's os.version matches by prefix at a dot boundary, as
containerd's Windows matcher does (`10.0.17763` matches `10.0.17763.5329`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from regscan.common.errors import InvalidInput

KNOWN_OS = frozenset(
    """
    aix android darwin dragonfly freebsd hurd illumos ios js linux nacl netbsd openbsd
    plan9 solaris wasip1 windows zos
    """.split()
)
KNOWN_ARCH = frozenset(
    """
    386 amd64 amd64p32 arm arm64 arm64be armbe loong64 mips mips64 mips64le mips64p32
    mips64p32le mipsle ppc ppc64 ppc64le riscv riscv64 s390 s390x sparc sparc64 wasm
    """.split()
)
KNOWN_VARIANTS: dict[str, frozenset[str]] = {
    "arm": frozenset({"v5", "v6", "v7", "v8"}),
    "arm64": frozenset({"v8", "v8.0", "v8.1", "v8.2", "v8.3", "v8.4", "v8.5", "v9", "v9.0"}),
    "amd64": frozenset({"v1", "v2", "v3", "v4"}),
    "riscv64": frozenset({"rva20u64", "rva22u64"}),
}
_ARCH_ALIASES = {"aarch64": "arm64", "x86_64": "amd64", "x86-64": "amd64", "i386": "386"}
_DEFAULT_VARIANT = {"arm64": "v8", "amd64": "v1"}


@dataclass(frozen=True, order=True)
class Platform:
    os: str
    arch: str
    variant: str = ""
    os_version: str = ""
    os_features: tuple[str, ...] = field(default=(), compare=False)

    def __str__(self) -> str:
        base = "/".join(p for p in (self.os, self.arch, self.variant) if p)
        return f"{base}:{self.os_version}" if self.os_version else base

    @property
    def is_unknown(self) -> bool:
        return self.os == "unknown" or self.arch == "unknown"

    def normalized(self) -> Platform:
        arch = _ARCH_ALIASES.get(self.arch, self.arch)
        variant = self.variant
        if variant == _DEFAULT_VARIANT.get(arch):
            variant = ""
        if arch == "arm" and not variant:
            variant = "v7"
        return Platform(self.os.lower(), arch, variant, self.os_version, self.os_features)

    def matches(self, wanted: Platform) -> bool:
        """Does this (image) platform satisfy the filter `wanted`?

        A filter without a variant accepts every variant of its arch, except that
        `linux/arm` means v7 only when the image's own variant is empty. A filter
        without an os.version accepts every os.version; one with it accepts that
        version and its longer forms (`10.0.17763` matches `10.0.17763.5329`).
        """
        mine, want = self.normalized(), wanted.normalized()
        if (mine.os, mine.arch) != (want.os, want.arch):
            return False
        if want.os_version and not _version_prefix(want.os_version, mine.os_version):
            return False
        return not wanted.variant or mine.variant == want.variant


def _version_prefix(prefix: str, version: str) -> bool:
    return version == prefix or version.startswith(prefix + ".")


_OS_VERSION_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$")


def parse_platform(text: str, field: str = "platform") -> Platform:
    """Parse and validate `os/arch[/variant][:os.version]`; raise InvalidInput naming it."""
    body, colon, os_version = text.strip().partition(":")
    parts = body.split("/")
    if len(parts) not in (2, 3) or not all(parts) or (colon and not os_version):
        raise InvalidInput(field, f"{text!r} is not of the form os/arch[/variant][:osversion]")
    os_name, arch = parts[0].lower(), parts[1].lower()
    arch = _ARCH_ALIASES.get(arch, arch)
    variant = parts[2].lower() if len(parts) == 3 else ""
    return validate_platform(os_name, arch, variant, os_version, field=field, text=text)


def validate_platform(
    os_name: str,
    arch: str,
    variant: str = "",
    os_version: str = "",
    *,
    field: str = "platform",
    text: str = "",
) -> Platform:
    shown = text or "/".join(p for p in (os_name, arch, variant) if p)
    if os_version and not _OS_VERSION_RE.match(os_version):
        raise InvalidInput(
            field, f"{shown!r}: os.version {os_version!r} is not a version such as 10.0.17763"
        )
    if os_name not in KNOWN_OS:
        raise InvalidInput(field, f"{shown!r}: unknown os {os_name!r}")
    if arch not in KNOWN_ARCH:
        raise InvalidInput(field, f"{shown!r}: unknown architecture {arch!r}")
    if variant:
        allowed = KNOWN_VARIANTS.get(arch)
        if allowed is None:
            raise InvalidInput(field, f"{shown!r}: architecture {arch!r} has no variants")
        if variant not in allowed:
            raise InvalidInput(
                field, f"{shown!r}: unknown variant {variant!r} (one of {sorted(allowed)})"
            )
    return Platform(os_name, arch, variant, os_version)


def platform_from_json(obj: object) -> Platform | None:
    """Platform of an index entry or image config; None when absent or not a dict."""
    if not isinstance(obj, dict):
        return None
    os_name, arch = obj.get("os"), obj.get("architecture")
    if not isinstance(os_name, str) or not isinstance(arch, str) or not os_name or not arch:
        return None
    variant = obj.get("variant") or ""
    os_version = obj.get("os.version") or ""
    features = obj.get("os.features") or []
    if not isinstance(features, list):
        features = []
    return Platform(
        os_name,
        arch,
        variant if isinstance(variant, str) else "",
        os_version if isinstance(os_version, str) and _OS_VERSION_RE.match(os_version) else "",
        tuple(str(f)[:64] for f in features[:16] if isinstance(f, str)),
    )


def split_platform(text: str) -> Platform:
    """Non-validating parse of a platform string we produced ourselves."""
    body, _, os_version = text.partition(":")
    parts = [*body.split("/"), "", ""][:3]
    return Platform(parts[0], parts[1], parts[2], os_version)


def platform_allowed(platform: Platform, wanted: list[Platform]) -> bool:
    return not wanted or any(platform.matches(w) for w in wanted)
