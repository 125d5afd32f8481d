"""Facts of the Harbor Scanner Adapter API v1.2 shared by its server (`regscan serve`) and
its client (the `harbor` scanner adapter): media types and the severity scales (pure).

Source: goharbor/pluggable-scanner-spec, api/spec/scanner-adapter-openapi-v1.2.yaml.
"""

from __future__ import annotations

API_PREFIX = "/api/v1"
METADATA = "application/vnd.scanner.adapter.metadata+json; version=1.1"
SCAN_REQUEST = "application/vnd.scanner.adapter.scan.request+json"  # version 1.0 or 1.1
SCAN_RESPONSE = "application/vnd.scanner.adapter.scan.response+json; version=1.0"
ERROR = "application/vnd.scanner.adapter.error+json; version=1.0"
VULN_1_1 = "application/vnd.security.vulnerability.report; version=1.1"
VULN_1_0 = "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0"
SBOM = "application/vnd.security.sbom.report+json; version=1.0"
SPDX = "application/spdx+json"
CYCLONEDX = "application/vnd.cyclonedx+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"

TO_HARBOR = {
    "CRITICAL": "Critical",
    "HIGH": "High",
    "MEDIUM": "Medium",
    "LOW": "Low",
    "UNKNOWN": "Unknown",
    "NONE": "Unknown",  # a report without findings: Harbor has no "None"
}
FROM_HARBOR = {
    "Critical": "CRITICAL",
    "High": "HIGH",
    "Medium": "MEDIUM",
    "Low": "LOW",
    "Negligible": "LOW",  # our scale has no Negligible: the nearest above
    "Unknown": "UNKNOWN",
}


def to_harbor_severity(ours: str) -> str:
    return TO_HARBOR.get(ours.upper(), "Unknown")


def from_harbor_severity(theirs: object) -> str:
    return FROM_HARBOR.get(str(theirs), "UNKNOWN")
