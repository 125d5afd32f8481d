"""Trivy's client/server messages read and rewritten by regscan (pure; the replay itself
against a real `trivy server` is in tests/integration/test_selective_rescan.py)."""

from __future__ import annotations

import struct

import pytest

from job_images.scanning.adapters.trivy_twirp import (
    ScanMemo,
    WireError,
    delete_blobs_request,
    fields,
    rekeyed,
    sbom_id,
    scan_response_report,
)
from job_images.scanning.report import vulnerabilities_from_trivy


# an encoder of our own, independent of the module's, to build messages from
def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def ld(number: int, value: bytes | str) -> bytes:
    data = value.encode() if isinstance(value, str) else value
    return varint(number << 3 | 2) + varint(len(data)) + data


def enum(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def double(number: int, value: float) -> bytes:
    return varint(number << 3 | 1) + struct.pack("<d", value)


def vuln(
    vid: str, pkg: str, version: str, fixed: str = "", severity: int = 0, **more: bytes
) -> bytes:
    msg = ld(1, vid) + ld(2, pkg) + ld(3, version) + (ld(4, fixed) if fixed else b"")
    return msg + (enum(7, severity) if severity else b"") + b"".join(more.values())


def result(target: str, *vulns: bytes) -> bytes:
    return ld(3, ld(1, target) + b"".join(ld(2, v) for v in vulns))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", []),
        (enum(1, 300), [(1, 0, 300)]),
        (ld(2, "ab"), [(2, 2, b"ab")]),
        (double(3, 1.5), [(3, 1, struct.pack("<d", 1.5))]),
        (varint(4 << 3 | 5) + b"\x01\x02\x03\x04", [(4, 5, b"\x01\x02\x03\x04")]),
    ],
)
def test_fields_reads_each_wire_type(data: bytes, expected: list[tuple[int, int, object]]) -> None:
    assert list(fields(data)) == expected


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"\x08", "truncated varint"),
        (ld(1, "abc")[:-1], "truncated field"),
        (varint(1 << 3 | 3), "wire type 3"),
        (b"\x00\x01", "field number 0"),
        (b"\x08" + b"\xff" * 11, "truncated varint"),
    ],
)
def test_fields_refuses_what_is_not_a_message(data: bytes, why: str) -> None:
    with pytest.raises(WireError, match=why):
        list(fields(data))


def test_a_scan_response_reads_as_trivys_json_report() -> None:
    cvss = ld(12, ld(1, "nvd") + ld(2, ld(2, "CVSS:3.1/AV:N") + double(4, 9.8) + double(3, 5.0)))
    purl = ld(25, ld(1, "pkg:apk/alpine/openssl@3.1.0-r0") + ld(3, "uid"))
    response = ld(1, ld(1, "alpine") + ld(2, "3.18.4")) + result(
        "img (alpine 3.18.4)",
        vuln("CVE-1", "openssl", "3.1.0-r0", "3.1.1-r0", 4,
             refs=ld(8, "https://a") + ld(8, "https://b"), cvss=cvss, purl=purl,
             title=ld(5, "overflow"), url=ld(14, "https://primary")),
        vuln("CVE-2", "busybox", "1.36.1-r0"),
    )  # fmt: skip
    doc = scan_response_report(response)
    assert doc == {
        "Results": [
            {
                "Target": "img (alpine 3.18.4)",
                "Vulnerabilities": [
                    {"VulnerabilityID": "CVE-2", "PkgName": "busybox",
                     "InstalledVersion": "1.36.1-r0", "Severity": "UNKNOWN"},
                    {"VulnerabilityID": "CVE-1", "PkgName": "openssl",
                     "InstalledVersion": "3.1.0-r0", "FixedVersion": "3.1.1-r0",
                     "Severity": "CRITICAL", "References": ["https://a", "https://b"],
                     "CVSS": {"nvd": {"V3Vector": "CVSS:3.1/AV:N", "V3Score": 9.8,
                                      "V2Score": 5.0}},
                     "PkgIdentifier": {"PURL": "pkg:apk/alpine/openssl@3.1.0-r0"},
                     "Title": "overflow", "PrimaryURL": "https://primary"},
                ],
            }
        ]
    }  # fmt: skip
    found = vulnerabilities_from_trivy(doc)
    assert [(v.id, v.severity, v.score, v.links, v.purl) for v in found] == [
        ("CVE-1", "CRITICAL", 9.8, ["https://primary", "https://a", "https://b"],
         "pkg:apk/alpine/openssl@3.1.0-r0"),
        ("CVE-2", "UNKNOWN", None, [], ""),
    ]  # fmt: skip


def test_duplicates_keep_the_higher_fixed_version_and_sort_as_trivy_does() -> None:
    """pkg/result/filter.go: one finding per id/package/version/path, `old.FixedVersion <
    new.FixedVersion` (string order) replaces; then types.BySeverity: package, version,
    severity (highest first), id, path."""
    response = result(
        "t",
        vuln("CVE-9", "zlib", "1.0", "1.10", 2),
        vuln("CVE-9", "zlib", "1.0", "1.2", 2),  # "1.10" < "1.2": this one is kept
        vuln("CVE-9", "zlib", "1.0", "1.1", 2),
        vuln("CVE-9", "zlib", "1.0", "", 2, path=ld(22, "usr/lib/x")),  # another path
        vuln("CVE-1", "zlib", "1.0", "", 1),
        vuln("CVE-5", "zlib", "1.0", "", 3),
        vuln("CVE-0", "apk", "2.0", "", 0),
        vuln("CVE-7", "zlib", "0.9", "", 0),
    )
    got = [
        (v["PkgName"], v["InstalledVersion"], v["VulnerabilityID"], v.get("FixedVersion", ""),
         v.get("PkgPath", ""))
        for v in scan_response_report(response)["Results"][0]["Vulnerabilities"]
    ]  # fmt: skip
    assert got == [
        ("apk", "2.0", "CVE-0", "", ""),
        ("zlib", "0.9", "CVE-7", "", ""),
        ("zlib", "1.0", "CVE-5", "", ""),
        ("zlib", "1.0", "CVE-9", "1.2", ""),
        ("zlib", "1.0", "CVE-9", "", "usr/lib/x"),
        ("zlib", "1.0", "CVE-1", "", ""),
    ]


def test_rekeyed_moves_blob_and_scan_to_a_key_of_their_own() -> None:
    blob_info = enum(1, 2) + ld(2, ld(1, "alpine"))
    put_blob = ld(1, "sha256:old") + ld(3, blob_info)
    options = ld(1, "os") + ld(2, "vuln")
    scan = (
        ld(1, "/tmp/x/sbom.spdx.json") + ld(2, "sha256:old") + ld(3, "sha256:old") + ld(4, options)
    )
    new_put, new_scan = rekeyed(put_blob, scan, "regscan:k1")
    assert sorted(fields(new_put)) == [(1, 2, b"regscan:k1"), (3, 2, blob_info)]
    assert sorted(fields(new_scan)) == [
        (1, 2, b"/tmp/x/sbom.spdx.json"), (2, 2, b"regscan:k1"), (3, 2, b"regscan:k1"),
        (4, 2, options),
    ]  # fmt: skip
    assert list(fields(delete_blobs_request("regscan:k1"))) == [(1, 2, b"regscan:k1")]
    with pytest.raises(WireError, match="without a blob"):
        rekeyed(ld(1, "sha256:old"), scan, "k")


def test_a_memo_round_trips_and_fits_only_its_sbom_and_trivy() -> None:
    sbom = b'{"spdxVersion": "SPDX-2.3", "packages": []}'
    memo = ScanMemo("0.76.0", sbom_id(sbom), ld(1, "k") + ld(3, enum(1, 2)), ld(2, "k"))
    back = ScanMemo.from_bytes(memo.to_bytes())
    assert back == memo
    assert back.fits(sbom, "0.76.0")
    assert not back.fits(sbom + b" ", "0.76.0")  # another SBOM
    assert not back.fits(sbom, "0.77.0")  # another Trivy may decode it differently


@pytest.mark.parametrize(
    "data",
    [
        None,
        b"",
        b"not json",
        b"[]",
        b'{"kind": "something-else"}',
        b'{"kind": "trivy-twirp", "trivyVersion": "0.76.0", "sbom": "x"}',
        b'{"kind": "trivy-twirp", "trivyVersion": "0.76.0", "sbom": "x", '
        b'"putBlob": "!!", "scan": ""}',
        b'{"kind": "trivy-twirp", "trivyVersion": "0.76.0", "sbom": "x", '
        b'"putBlob": "CAE=", "scan": ""}',  # a PutBlob without a blob
    ],
)
def test_anything_but_a_memo_reads_as_none(data: bytes | None) -> None:
    assert ScanMemo.from_bytes(data) is None
