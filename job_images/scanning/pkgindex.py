"""A digest's package index: (ecosystem, package name) pairs read from its SPDX SBOM (pure).

The names a DB advisory can be filed under: the package's own name, its purl name
(with namespace where the ecosystem uses one: npm scopes, Go module paths, Maven
groups) and, for OS packages, the source package it was built from (Debian and Alpine
advisories are filed by source package). Names are normalized as dbchange.py does.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

from job_images.scanning.dbchange import normalize_name

# purl type → the ecosystem name Trivy's DB sources use (`pip::…`, `go::…`).
_LANG = {"pypi": "pip", "npm": "npm", "golang": "go", "maven": "maven", "gem": "rubygems",
         "cargo": "cargo", "composer": "composer", "nuget": "nuget", "conan": "conan",
         "pub": "pub", "hex": "hex", "swift": "swift", "cocoapods": "cocoapods",
         "bitnami": "bitnami", "julia": "julia"}  # fmt: skip
_OS_TYPES = frozenset({"apk", "deb", "rpm"})  # namespace is the distribution
_PURL = re.compile(r"^pkg:(?P<type>[^/]+)/(?P<path>[^@?#]+)")
_DISTRO = re.compile(r"[?&]distro=(?P<release>[^&#]+)")
_SOURCE = re.compile(r"^built package from:\s*(?P<name>\S+)")
NO_ECOSYSTEM = "?"


def _purl(package: dict[str, Any]) -> str | None:
    for ref in package.get("externalRefs") or []:
        if isinstance(ref, dict) and ref.get("referenceType") == "purl":
            locator = ref.get("referenceLocator")
            return locator if isinstance(locator, str) else None
    return None


def _from_purl(purl: str) -> tuple[str, list[str]] | None:
    m = _PURL.match(purl)
    if not m:
        return None
    kind = m["type"].lower()
    parts = [unquote(p) for p in m["path"].split("/")]
    if kind in _OS_TYPES and len(parts) >= 2:
        family = parts[0].lower()
        distro = _DISTRO.search(purl)
        release = distro["release"] if distro else ""
        if release.lower().startswith(family + "-"):  # debian-12.4 → 12.4
            release = release[len(family) + 1 :]
        return (f"{family}@{release}" if release else family), [parts[-1]]
    eco = _LANG.get(kind, kind)
    names = [parts[-1]]
    if len(parts) > 1:
        names.append(("/" if kind != "maven" else ":").join(parts))
    return eco, names


def package_index(sbom: bytes) -> list[tuple[str, str]]:
    """Sorted, unique (ecosystem, normalized name) pairs of the SBOM's packages."""
    try:
        doc = json.loads(sbom)
    except ValueError:
        return []
    pairs: set[tuple[str, str]] = set()
    for package in doc.get("packages") or [] if isinstance(doc, dict) else []:
        if not isinstance(package, dict):
            continue
        if package.get("primaryPackagePurpose") in ("CONTAINER", "OPERATING-SYSTEM"):
            continue
        names = [package.get("name")]
        source = _SOURCE.match(str(package.get("sourceInfo") or ""))
        if source:
            names.append(source["name"])
        purl = _purl(package)
        parsed = _from_purl(purl) if purl else None
        eco = parsed[0] if parsed else NO_ECOSYSTEM
        if parsed:
            names += parsed[1]
        pairs.update((eco, normalize_name(n)) for n in names if isinstance(n, str) and n)
    return sorted(pairs)
