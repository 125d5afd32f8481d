"""What a vulnerability-DB update changed, and which digests it can affect (pure).

Trivy's DB (bbolt) holds one bucket per data source (`alpine 3.18`, `debian 12`,
`pip::GitHub Security Advisory pip`, …) with one sub-bucket per package name holding
that package's advisories; `vulnerability` holds one record per ID (title, severity,
CVSS); `data-source` names each source. A `Fingerprint` keeps one short hash per
(source, package), per vulnerability record and per other bucket, so two DB versions
are compared without keeping either file.

A digest is affected when its package index (pkgindex.py) meets a changed
(ecosystem, package), or its report holds a changed vulnerability record. The match
errs on the side of rescanning: a source whose ecosystem is not known matches the
package name in every ecosystem, and a change outside advisories and records (an
unknown bucket) affects every digest. So re-scanning the affected digests gives the
reports a full rescan would.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

ANY = "*"  # ecosystem wildcard: the package name in any ecosystem
VULN_BUCKET = "vulnerability"
SOURCE_BUCKET = "data-source"

# Data-source families whose ecosystem name regscan's package index uses as well.
# Anything else (Red Hat, Amazon, SUSE, …) matches by package name alone.
KNOWN_ECOSYSTEMS = frozenset(
    {"alpine", "debian", "ubuntu", "wolfi", "chainguard", "pip", "npm", "go", "maven",
     "rubygems", "cargo", "composer", "nuget", "conan", "pub", "hex", "swift", "cocoapods",
     "bitnami", "julia"}
)  # fmt: skip
_NAME_SEP = re.compile(r"[-_.]+")


def normalize_name(name: str) -> str:
    """Lower case, runs of `-`, `_`, `.` as one `-` (PEP 503 and friends; errs wide)."""
    return _NAME_SEP.sub("-", name.strip().lower())


def ecosystem_of_source(source: str) -> str:
    """`pip::GitHub Security Advisory pip` → `pip`; `alpine 3.18` → `alpine@3.18`;
    a source of unknown family → `*`."""
    if "::" in source:
        family = source.split("::", 1)[0].strip().lower()
        return family if family in KNOWN_ECOSYSTEMS else ANY
    family, _, release = source.strip().rpartition(" ")
    family = family.lower() if family else release.lower()
    if family not in KNOWN_ECOSYSTEMS:
        return ANY
    return f"{family}@{release}" if family != release.lower() else family


def ecosystem_matches(image: str, source: str) -> bool:
    """Does an image's package ecosystem (`alpine@3.18.4`, `pip`) fall under a source's
    (`alpine@3.18`, `alpine`, `pip`, `*`)? A release matches itself and its point releases."""
    if source in (ANY, image):
        return True
    family, _, release = source.partition("@")
    i_family, _, i_release = image.partition("@")
    if family != i_family:
        return False
    return not release or not i_release or i_release.startswith(release + ".")


@dataclass
class Fingerprint:
    """Short hashes of one DB version's contents (see module docstring)."""

    advisories: dict[str, dict[str, str]] = field(default_factory=dict)  # source → pkg → hash
    vulnerabilities: dict[str, str] = field(default_factory=dict)  # ID → hash
    other: dict[str, str] = field(default_factory=dict)  # bucket → hash

    def to_json(self) -> bytes:
        doc = {"advisories": self.advisories, "vulnerabilities": self.vulnerabilities,
               "other": self.other}  # fmt: skip
        return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Fingerprint | None:
        try:
            doc = json.loads(data)
            return cls(dict(doc["advisories"]), dict(doc["vulnerabilities"]), dict(doc["other"]))
        except (ValueError, KeyError, TypeError):
            return None


@dataclass(frozen=True)
class DBChange:
    """(ecosystem, normalized package) pairs and vulnerability IDs whose data changed."""

    packages: frozenset[tuple[str, str]] = frozenset()
    ecosystems: frozenset[str] = frozenset()  # every package of these changed (source renamed…)
    vulnerabilities: frozenset[str] = frozenset()
    everything: bool = False  # a change regscan cannot attribute: rescan all

    @property
    def empty(self) -> bool:
        return not (self.packages or self.ecosystems or self.vulnerabilities or self.everything)


def _changed_keys(old: Mapping[str, str], new: Mapping[str, str]) -> set[str]:
    return {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}


def diff(old: Fingerprint, new: Fingerprint) -> DBChange:
    """What differs between two DB versions, in the terms the match needs."""
    packages: set[tuple[str, str]] = set()
    ecosystems: set[str] = set()
    for source in old.advisories.keys() | new.advisories.keys():
        eco = ecosystem_of_source(source)
        for pkg in _changed_keys(old.advisories.get(source, {}), new.advisories.get(source, {})):
            packages.add((eco, normalize_name(pkg)))
    everything = False
    for bucket in _changed_keys(old.other, new.other):
        if bucket.startswith(SOURCE_BUCKET + "/"):
            eco = ecosystem_of_source(bucket.split("/", 1)[1])
            if eco == ANY:
                everything = True
            ecosystems.add(eco)
        else:
            everything = True
    return DBChange(
        frozenset(packages),
        frozenset(ecosystems),
        frozenset(_changed_keys(old.vulnerabilities, new.vulnerabilities)),
        everything,
    )


def affected(change: DBChange, index: Iterable[tuple[str, str]], vuln_ids: Iterable[str]) -> bool:
    """Does `change` touch a digest with this package index and these reported IDs?"""
    if change.everything:
        return True
    if change.vulnerabilities.intersection(vuln_ids):
        return True
    by_name: dict[str, list[str]] = {}
    for eco, name in change.packages:
        by_name.setdefault(name, []).append(eco)
    for eco, name in index:
        if any(ecosystem_matches(eco, source) for source in change.ecosystems):
            return True
        if any(ecosystem_matches(eco, source) for source in by_name.get(name, ())):
            return True
    return False
