"""Media types of the Harbor Scanner Adapter API v1.2 and `Accept` negotiation (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from regscan.common.harbor_api import (
    CYCLONEDX,
    DOCKER_MANIFEST,
    ERROR,
    METADATA,
    OCI_MANIFEST,
    SBOM,
    SCAN_REQUEST,
    SCAN_RESPONSE,
    SPDX,
    VULN_1_0,
    VULN_1_1,
)

__all__ = [
    "CYCLONEDX",
    "DOCKER_MANIFEST",
    "ERROR",
    "METADATA",
    "OCI_MANIFEST",
    "SBOM",
    "SCAN_REQUEST",
    "SCAN_RESPONSE",
    "SPDX",
    "VULN_1_0",
    "VULN_1_1",
    "Choice",
    "choose_report",
]

CONSUMES = (OCI_MANIFEST, DOCKER_MANIFEST)
VULN_PRODUCES = (VULN_1_1, VULN_1_0)
SBOM_PRODUCES = (SBOM,)
SBOM_MEDIA_TYPES = (SPDX, CYCLONEDX)  # the v1.2 spec's sbom_media_type values


def normalize(media_type: str) -> str:
    """`type/sub; version=1.1` in one spelling: lower case, no spaces, params sorted."""
    parts = [p.strip().lower() for p in media_type.split(";") if p.strip()]
    if not parts:
        return ""
    params = sorted(p.replace(" ", "") for p in parts[1:] if not p.startswith("q="))
    return ";".join([parts[0], *params])


@dataclass(frozen=True)
class Choice:
    """What a report request gets: a media type to produce, or an HTTP error."""

    media_type: str = ""
    status: int = 200
    message: str = ""
    sbom_media_type: str = ""  # for an SBOM report: SPDX or CycloneDX


def choose_report(
    accept: str | None, sbom_media_type: str | None, served: tuple[str, ...] = SBOM_MEDIA_TYPES
) -> Choice:
    """The report type `Accept` asks for; no Accept (or */*) means the 1.1 vulnerability
    report. 501 for a type we do not produce (or an SBOM format not among `served`), 400
    for an SBOM without a valid `sbom_media_type`."""
    offered = [a for a in (accept or "").split(",") if a.strip()]
    if not offered or any(normalize(a).split(";")[0] in ("*/*", "application/*") for a in offered):
        return Choice(VULN_1_1)
    wanted = {normalize(a): a for a in offered}
    for produced in (*VULN_PRODUCES, *SBOM_PRODUCES):
        if normalize(produced) not in wanted:
            continue
        if produced != SBOM:
            return Choice(produced)
        if not sbom_media_type:
            return Choice(status=400, message="an SBOM report needs ?sbom_media_type=")
        if sbom_media_type not in SBOM_MEDIA_TYPES or sbom_media_type not in served:
            return Choice(
                status=400 if sbom_media_type not in SBOM_MEDIA_TYPES else 501,
                message=f"sbom_media_type {sbom_media_type!r} is not served "
                f"(served: {', '.join(served)})",
            )
        return Choice(SBOM, sbom_media_type=sbom_media_type)
    return Choice(
        status=501,
        message=f"unsupported report type {accept!r}; produced: "
        + ", ".join((*VULN_PRODUCES, *SBOM_PRODUCES)),
    )


def is_scan_request(content_type: str | None) -> bool:
    """A ScanRequest body: the adapter's type (1.0 or 1.1), or plain JSON."""
    base = normalize(content_type or "").split(";")[0]
    return base in ("", SCAN_REQUEST, "application/json")
