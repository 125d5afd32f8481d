"""Normalized report -> SARIF 2.1.0 (pure).

One rule per vulnerability id, one result per affected package; severity maps
to SARIF `level` and GitHub's `security-severity` property.
"""

from __future__ import annotations

from typing import Any

from regscan.common.reports import Report

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {
    "CRITICAL": "error",
    "HIGH": "error",
    "MEDIUM": "warning",
    "LOW": "note",
    "UNKNOWN": "none",
}
SECURITY_SEVERITY = {
    "CRITICAL": "9.5",
    "HIGH": "8.0",
    "MEDIUM": "5.5",
    "LOW": "2.0",
    "UNKNOWN": "0.0",
}


def to_sarif(report: Report) -> dict[str, Any]:
    art = report.artifact
    uri = f"{art.registry}/{art.repository}@{art.digest}"
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    for v in report.vulnerabilities:
        if v.id not in index:
            index[v.id] = len(rules)
            severity = f"{v.score:.1f}" if v.score is not None else SECURITY_SEVERITY[v.severity]
            rules.append(
                {
                    "id": v.id,
                    "name": "OsPackageVulnerability",
                    "shortDescription": {"text": v.title or v.id},
                    "fullDescription": {"text": v.title or v.id},
                    "helpUri": v.links[0]
                    if v.links
                    else f"https://avd.aquasec.com/nvd/{v.id.lower()}",
                    "help": {
                        "text": f"{v.id} ({v.severity}); fixed in: {v.fixed_version or 'no fix'}"
                    },
                    "defaultConfiguration": {"level": LEVEL[v.severity]},
                    "properties": {
                        "security-severity": severity,
                        "tags": ["vulnerability", "security", v.severity],
                    },
                }
            )
        fix = f", fixed in {v.fixed_version}" if v.fixed_version else ", no fix available"
        results.append(
            {
                "ruleId": v.id,
                "ruleIndex": index[v.id],
                "level": LEVEL[v.severity],
                "message": {
                    "text": f"{v.package} {v.installed_version} is affected by {v.id} "
                    f"({v.severity}){fix}"
                },
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": uri},
                            "region": {"startLine": 1},
                        },
                        "logicalLocations": [{"name": v.purl or v.package, "kind": "package"}],
                    }
                ],
                "partialFingerprints": {
                    "vulnerability/package": f"{v.id}/{v.package}/{v.installed_version}"
                },
            }
        )
    return {
        "version": "2.1.0",
        "$schema": SCHEMA,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": f"regscan ({report.scanner.name})",
                        "version": report.scanner.version or "unknown",
                        "informationUri": "https://github.com/regscan/regscan",
                        "rules": rules,
                    }
                },
                "results": results,
                "properties": {
                    "imageDigest": art.digest,
                    "platform": art.platform,
                    "tags": art.tags,
                },
            }
        ],
    }
