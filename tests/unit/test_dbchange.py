"""DB-update change detection and the package-index match, as tables (pure)."""

from __future__ import annotations

import json

import pytest

from job_images.scanning.dbchange import (
    ANY,
    DBChange,
    Fingerprint,
    affected,
    diff,
    ecosystem_matches,
    ecosystem_of_source,
    normalize_name,
)
from job_images.scanning.pkgindex import package_index

BASE = Fingerprint(
    advisories={
        "alpine 3.18": {"zlib": "a1", "busybox": "a2"},
        "pip::GHSA pip": {"requests": "p1"},
    },
    vulnerabilities={"CVE-1": "v1", "CVE-2": "v2"},
    other={"data-source/alpine 3.18": "s1", "data-source/pip::GHSA pip": "s2"},
)


def _fp(**changes: object) -> Fingerprint:
    fp = Fingerprint.from_json(BASE.to_json())
    assert fp is not None
    for name, value in changes.items():
        setattr(fp, name, value)
    return fp


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        (_fp(), DBChange()),
        (
            _fp(advisories={**BASE.advisories, "alpine 3.18": {"zlib": "XX", "busybox": "a2"}}),
            DBChange(packages=frozenset({("alpine@3.18", "zlib")})),
        ),
        (  # a new package bucket in a new source
            _fp(advisories={**BASE.advisories, "debian 12": {"Open_SSL": "d1"}}),
            DBChange(packages=frozenset({("debian@12", "open-ssl")})),
        ),
        (  # a removed advisory bucket
            _fp(advisories={"pip::GHSA pip": {"requests": "p1"}}),
            DBChange(packages=frozenset({("alpine@3.18", "zlib"), ("alpine@3.18", "busybox")})),
        ),
        (
            _fp(vulnerabilities={"CVE-1": "v1", "CVE-2": "XX", "CVE-3": "v3"}),
            DBChange(vulnerabilities=frozenset({"CVE-2", "CVE-3"})),
        ),
        (  # a source's name changed: every package of that ecosystem
            _fp(other={**BASE.other, "data-source/pip::GHSA pip": "XX"}),
            DBChange(ecosystems=frozenset({"pip"})),
        ),
        (  # an unknown source family: every package, by name
            _fp(advisories={**BASE.advisories, "Red Hat": {"openssl": "r1"}}),
            DBChange(packages=frozenset({(ANY, "openssl")})),
        ),
        (_fp(other={**BASE.other, "Red Hat CPE": "c1"}), DBChange(everything=True)),
    ],
)
def test_diff(new: Fingerprint, expected: DBChange) -> None:
    assert diff(BASE, new) == expected


@pytest.mark.parametrize(
    ("source", "eco"),
    [
        ("alpine 3.18", "alpine@3.18"),
        ("debian 12", "debian@12"),
        ("ubuntu 22.04", "ubuntu@22.04"),
        ("wolfi", "wolfi"),
        ("pip::GitHub Security Advisory pip", "pip"),
        ("go::The Go Vulnerability Database", "go"),
        ("Red Hat", ANY),
        ("amazon linux 2", ANY),
        ("k8s::Official Kubernetes CVE Feed", ANY),
    ],
)
def test_ecosystem_of_source(source: str, eco: str) -> None:
    assert ecosystem_of_source(source) == eco


@pytest.mark.parametrize(
    ("image", "source", "match"),
    [
        ("alpine@3.18.4", "alpine@3.18", True),
        ("alpine@3.18", "alpine@3.18", True),
        ("alpine@3.19.1", "alpine@3.18", False),
        ("alpine@3.180.1", "alpine@3.18", False),
        ("debian@12.4", "debian@12", True),
        ("debian@12.4", "debian@11", False),
        ("debian", "debian@11", True),  # release unknown: match
        ("pip", "pip", True),
        ("pip", "npm", False),
        ("npm", ANY, True),
    ],
)
def test_ecosystem_matches(image: str, source: str, match: bool) -> None:
    assert ecosystem_matches(image, source) is match


INDEX = [("alpine@3.18.4", "zlib"), ("alpine@3.18.4", "busybox"), ("pip", "requests")]


@pytest.mark.parametrize(
    ("change", "vulns", "expected"),
    [
        (DBChange(), ["CVE-1"], False),
        (DBChange(packages=frozenset({("alpine@3.18", "zlib")})), [], True),
        (DBChange(packages=frozenset({("alpine@3.19", "zlib")})), [], False),
        (DBChange(packages=frozenset({("debian@12", "zlib")})), [], False),
        (DBChange(packages=frozenset({(ANY, "requests")})), [], True),
        (DBChange(packages=frozenset({("npm", "requests")})), [], False),
        (DBChange(ecosystems=frozenset({"pip"})), [], True),
        (DBChange(vulnerabilities=frozenset({"CVE-9"})), ["CVE-9"], True),
        (DBChange(vulnerabilities=frozenset({"CVE-9"})), ["CVE-1"], False),
        (DBChange(everything=True), [], True),
    ],
)
def test_affected(change: DBChange, vulns: list[str], expected: bool) -> None:
    assert affected(change, INDEX, vulns) is expected


def _pkg(name: str, purl: str | None = None, source: str | None = None) -> dict[str, object]:
    p: dict[str, object] = {"name": name, "primaryPackagePurpose": "LIBRARY"}
    if purl:
        p["externalRefs"] = [{"referenceType": "purl", "referenceLocator": purl}]
    if source:
        p["sourceInfo"] = f"built package from: {source} 1.0"
    return p


def test_package_index_from_trivy_spdx() -> None:
    doc = {
        "packages": [
            {"name": "img", "primaryPackagePurpose": "CONTAINER"},
            {"name": "debian", "primaryPackagePurpose": "OPERATING-SYSTEM"},
            _pkg(
                "libssl3", "pkg:deb/debian/libssl3@3.0.11?arch=x86_64&distro=debian-12.4", "openssl"
            ),
            _pkg("libcrypto3", "pkg:apk/alpine/libcrypto3@3.1.4-r0?distro=3.18.4", "openssl"),
            _pkg("Flask_Login", "pkg:pypi/flask-login@0.6"),
            _pkg("@babel/core", "pkg:npm/%40babel/core@7.0.0"),
            _pkg("org.apache:log4j", "pkg:maven/org.apache/log4j@2.0"),
            _pkg("golang.org/x/net", "pkg:golang/golang.org/x/net@0.1"),
            _pkg("mystery"),
        ]
    }
    assert package_index(json.dumps(doc).encode()) == [
        ("?", "mystery"),
        ("alpine@3.18.4", "libcrypto3"),
        ("alpine@3.18.4", "openssl"),
        ("debian@12.4", "libssl3"),
        ("debian@12.4", "openssl"),
        ("go", "golang-org/x/net"),
        ("go", "net"),
        ("maven", "log4j"),
        ("maven", "org-apache:log4j"),
        ("npm", "@babel/core"),
        ("npm", "core"),
        ("pip", "flask-login"),
    ]
    assert package_index(b"not json") == [] and package_index(b"[]") == []


def test_normalize_name() -> None:
    assert normalize_name(" Zope.Interface__x ") == "zope-interface-x"
