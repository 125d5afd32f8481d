"""Trivy's client/server messages, read and rewritten without Trivy (pure).

A `trivy sbom` client sends the server two messages: `PutBlob` (the SBOM as Trivy decoded
it, a BlobInfo) and `Scan` (which blob, with which options). regscan keeps both per SBOM
(a `ScanMemo`, stored beside the SBOM) and later sends them itself: the server detects
vulnerabilities with the DB it has now, and no Trivy process starts (adapters/trivy_replay.py).

Only the protobuf wire format is read here, and only the fields regscan reports; field
numbers are Trivy's (rpc/common/service.proto, rpc/scanner/service.proto), which a protobuf
schema never renumbers. What Trivy's client does after `Scan` (pkg/result/filter.go) is done
here too: duplicates on id/package/version/path keep the higher fixed version, and each
result's findings are sorted as Trivy sorts them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

SEVERITY_NAMES = ("UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL")
MEMO_KIND = "trivy-twirp"

# rpc/common/service.proto: Vulnerability
_VULN_STRINGS = {
    1: "VulnerabilityID",
    2: "PkgName",
    3: "InstalledVersion",
    4: "FixedVersion",
    5: "Title",
    14: "PrimaryURL",
    22: "PkgPath",
}
_SEVERITY, _REFERENCES, _CVSS, _PKG_IDENTIFIER = 7, 8, 12, 25
_CVSS_FIELDS = {
    1: "V2Vector",
    2: "V3Vector",
    3: "V2Score",
    4: "V3Score",
    5: "V40Vector",
    6: "V40Score",
}
_DEDUP_KEY = ("VulnerabilityID", "PkgName", "InstalledVersion", "PkgPath")


class WireError(ValueError):
    """Bytes that are not the protobuf message expected."""


def _varint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if i >= len(data) or shift > 63:
            raise WireError("truncated varint")
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def fields(data: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) of each field: an int for varints, bytes otherwise."""
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise WireError("field number 0")
        if wire == 0:
            value, i = _varint(data, i)
            yield number, wire, value
            continue
        if wire == 2:
            size, i = _varint(data, i)
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
        else:
            raise WireError(f"unsupported wire type {wire}")
        if i + size > len(data):
            raise WireError("truncated field")
        yield number, wire, data[i : i + size]
        i += size


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _bytes_field(number: int, value: bytes) -> bytes:
    return _encode_varint(number << 3 | 2) + _encode_varint(len(value)) + value


def _rewrite(data: bytes, replace: dict[int, list[bytes]]) -> bytes:
    """`data` with the fields in `replace` dropped and the given values written instead."""
    kept = bytearray()
    for number, wire, value in fields(data):
        if number in replace:
            continue
        if wire == 0:
            assert isinstance(value, int)
            kept += _encode_varint(number << 3) + _encode_varint(value)
        elif wire == 2:
            assert isinstance(value, bytes)
            kept += _bytes_field(number, value)
        else:
            assert isinstance(value, bytes)
            kept += _encode_varint(number << 3 | wire) + value
    for number, values in replace.items():
        for value in values:
            kept += _bytes_field(number, value)
    return bytes(kept)


def rekeyed(put_blob: bytes, scan: bytes, key: str) -> tuple[bytes, bytes]:
    """PutBlobRequest {diff_id=1, blob_info=3} and ScanRequest {artifact_id=2, blob_ids=3}
    under `key`, so that concurrent replays of one SBOM never share (or delete) each
    other's blob."""
    k = key.encode()
    check_requests(put_blob, scan)
    return _rewrite(put_blob, {1: [k]}), _rewrite(scan, {2: [k], 3: [k]})


def check_requests(put_blob: bytes, scan: bytes) -> None:
    """WireError unless both parse and the PutBlob request carries a blob (blob_info=3)."""
    blobs = [n for n, _, v in fields(put_blob) if n == 3 and isinstance(v, bytes)]  # all parse
    if not blobs:
        raise WireError("PutBlob request without a blob")
    for _ in fields(scan):
        pass


def delete_blobs_request(key: str) -> bytes:
    """DeleteBlobsRequest {blob_ids=1}."""
    return _bytes_field(1, key.encode())


def _text(value: int | bytes) -> str:
    if not isinstance(value, bytes):
        raise WireError("expected a string")
    return value.decode("utf-8", "replace")


def _cvss(entry: bytes) -> tuple[str, dict[str, Any]]:
    vendor, scores = "", {}
    for number, _, value in fields(entry):
        if number == 1:
            vendor = _text(value)
        elif number == 2 and isinstance(value, bytes):
            for n, w, v in fields(value):
                name = _CVSS_FIELDS.get(n)
                if name and w == 1 and isinstance(v, bytes):
                    scores[name] = struct.unpack("<d", v)[0]
                elif name and w == 2:
                    scores[name] = _text(v)
    return vendor, scores


def _vulnerability(data: bytes) -> dict[str, Any]:
    vuln: dict[str, Any] = {"Severity": "UNKNOWN"}
    for number, _, value in fields(data):
        if number in _VULN_STRINGS:
            vuln[_VULN_STRINGS[number]] = _text(value)
        elif number == _SEVERITY and isinstance(value, int):
            vuln["Severity"] = SEVERITY_NAMES[value] if value < len(SEVERITY_NAMES) else "UNKNOWN"
        elif number == _REFERENCES:
            vuln.setdefault("References", []).append(_text(value))
        elif number == _CVSS and isinstance(value, bytes):
            vendor, scores = _cvss(value)
            vuln.setdefault("CVSS", {})[vendor] = scores
        elif number == _PKG_IDENTIFIER and isinstance(value, bytes):
            purl = [_text(v) for n, _, v in fields(value) if n == 1]
            vuln["PkgIdentifier"] = {"PURL": purl[0]} if purl else {}
    return vuln


def _severity_rank(vuln: dict[str, Any]) -> int:
    return SEVERITY_NAMES.index(vuln["Severity"])


def _filtered(vulns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Trivy's client-side filter with default options (all severities, no ignore file):
    one finding per id/package/version/path, the higher fixed version kept; then sorted."""
    unique: dict[tuple[str, ...], dict[str, Any]] = {}
    for v in vulns:
        key = tuple(str(v.get(k, "")) for k in _DEDUP_KEY)
        old = unique.get(key)
        if old is not None and not old.get("FixedVersion", "") < v.get("FixedVersion", ""):
            continue
        unique[key] = v
    return sorted(
        unique.values(),
        key=lambda v: (
            str(v.get("PkgName", "")),
            str(v.get("InstalledVersion", "")),
            -_severity_rank(v),
            str(v.get("VulnerabilityID", "")),
            str(v.get("PkgPath", "")),
        ),
    )


def scan_response_report(data: bytes) -> dict[str, Any]:
    """A ScanResponse {results=3: Result {target=1, vulnerabilities=2}} as the `Results` of
    Trivy's JSON report, as its client would print it."""
    results = []
    for number, _, value in fields(data):
        if number != 3 or not isinstance(value, bytes):
            continue
        target, vulns = "", []
        for n, _, v in fields(value):
            if n == 1:
                target = _text(v)
            elif n == 2 and isinstance(v, bytes):
                vulns.append(_vulnerability(v))
        results.append({"Target": target, "Vulnerabilities": _filtered(vulns)})
    return {"Results": results}


def sbom_id(sbom: bytes) -> str:
    return "sha256:" + hashlib.sha256(sbom).hexdigest()


@dataclass(frozen=True)
class ScanMemo:
    """What a Trivy client sent the server for one SBOM, with the Trivy version that sent it
    and the SBOM it decoded (a memo made from another SBOM or Trivy version is not used)."""

    trivy_version: str
    sbom: str  # sbom_id of the SBOM the blob was decoded from
    put_blob: bytes
    scan: bytes

    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "kind": MEMO_KIND,
                "trivyVersion": self.trivy_version,
                "sbom": self.sbom,
                "putBlob": base64.b64encode(self.put_blob).decode(),
                "scan": base64.b64encode(self.scan).decode(),
            }
        ).encode()

    @classmethod
    def from_bytes(cls, data: bytes | None) -> ScanMemo | None:
        """The memo, or None for anything else (absent, corrupt, another kind)."""
        try:
            doc = json.loads(data or b"")
            if not isinstance(doc, dict) or doc.get("kind") != MEMO_KIND:
                return None
            memo = cls(
                str(doc["trivyVersion"]),
                str(doc["sbom"]),
                base64.b64decode(doc["putBlob"], validate=True),
                base64.b64decode(doc["scan"], validate=True),
            )
            check_requests(memo.put_blob, memo.scan)
        except (ValueError, KeyError, TypeError):
            return None
        return memo

    def fits(self, sbom: bytes, trivy_version: str) -> bool:
        return self.trivy_version == trivy_version and self.sbom == sbom_id(sbom)
