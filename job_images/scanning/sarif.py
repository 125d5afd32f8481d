"""Normalized reports -> SARIF 2.1.0 (pure).

One rule per vulnerability id, one result per affected package; severity maps to SARIF
`level` and GitHub's `security-severity` property.

`to_sarif(report)` is one digest's log (stored beside its report). `run_sarif(...)` is
the log of a whole run, for code-scanning dashboards: ONE run holding every image's
results. GitHub code scanning no longer combines several runs of the same tool and
category in one upload (it rejects them), and takes at most 20 runs per file, so a run
per image does not work for a registry; one run, with the images told apart by each
result's location (`registry/repository`) and fingerprint (repository + platform +
vulnerability + package), does. Results are ordered most severe first (GitHub keeps the
top 5,000 of a run). `automationDetails.id` (`regscan/<registry host>/`) is the
category, so uploads for different registries do not replace each other.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from regscan.common.reports import SEVERITIES, Report, RunImage, ScannerInfo, Vulnerability

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/regscan/regscan"
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


class _Rules:
    """Rules in first-seen order, one per vulnerability id; results refer to them by index."""

    def __init__(self) -> None:
        self.rules: list[dict[str, Any]] = []
        self.index: dict[str, int] = {}

    def add(self, v: Vulnerability) -> int:
        if v.id not in self.index:
            self.index[v.id] = len(self.rules)
            self.rules.append(_rule(v))
        return self.index[v.id]


def _rule(v: Vulnerability) -> dict[str, Any]:
    severity = f"{v.score:.1f}" if v.score is not None else SECURITY_SEVERITY[v.severity]
    return {
        "id": v.id,
        "name": "OsPackageVulnerability",
        "shortDescription": {"text": v.title or v.id},
        "fullDescription": {"text": v.title or v.id},
        "helpUri": v.links[0] if v.links else f"https://avd.aquasec.com/nvd/{v.id.lower()}",
        "help": {"text": f"{v.id} ({v.severity}); fixed in: {v.fixed_version or 'no fix'}"},
        "defaultConfiguration": {"level": LEVEL[v.severity]},
        "properties": {
            "security-severity": severity,
            "tags": ["vulnerability", "security", v.severity],
        },
    }


def _result(
    v: Vulnerability, rule_index: int, uri: str, where: str, fingerprint: str
) -> dict[str, Any]:
    fix = f", fixed in {v.fixed_version}" if v.fixed_version else ", no fix available"
    return {
        "ruleId": v.id,
        "ruleIndex": rule_index,
        "level": LEVEL[v.severity],
        "message": {
            "text": f"{v.package} {v.installed_version}{where} is affected by {v.id} "
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
        "partialFingerprints": {"vulnerability/package": fingerprint},
    }


def _driver(scanner: ScannerInfo | None, rules: list[dict[str, Any]]) -> dict[str, Any]:
    name = scanner.name if scanner else "unknown"
    version = (scanner.version if scanner else "") or "unknown"
    return {
        "name": f"regscan ({name})",
        "version": version,
        "informationUri": INFORMATION_URI,
        "rules": rules,
    }


def to_sarif(report: Report) -> dict[str, Any]:
    """One digest's findings (stored as reports/sha256/<hex>.sarif.json)."""
    art = report.artifact
    uri = f"{art.registry}/{art.repository}@{art.digest}"
    rules = _Rules()
    results = [
        _result(v, rules.add(v), uri, "", f"{v.id}/{v.package}/{v.installed_version}")
        for v in report.vulnerabilities
    ]
    return {
        "version": "2.1.0",
        "$schema": SCHEMA,
        "runs": [
            {
                "tool": {"driver": _driver(report.scanner, rules.rules)},
                "results": results,
                "properties": {
                    "imageDigest": art.digest,
                    "platform": art.platform,
                    "tags": art.tags,
                },
            }
        ],
    }


def run_sarif(
    run_id: str,
    registry: str,
    scanner: ScannerInfo | None,
    images: Sequence[tuple[RunImage, Report | None]],
) -> dict[str, Any]:
    """One SARIF log, one run, for the given images of a run (see the module docstring).

    An image without a report (it failed) becomes a tool execution notification.
    """
    order = {s: i for i, s in enumerate(SEVERITIES)}
    rules = _Rules()
    found: list[tuple[int, dict[str, Any]]] = []
    notes: list[dict[str, Any]] = []
    for img, report in images:
        name = f"{img.repository}:{img.tags[0]}" if img.tags else img.repository
        if report is None:
            notes.append(
                {
                    "level": "error",
                    "message": {
                        "text": f"{name} ({img.platform}, {img.digest}) was not scanned: "
                        f"{img.error or 'no stored report'}"
                    },
                }
            )
            continue
        uri = f"{img.registry}/{img.repository}"
        where = f" in {name} ({img.platform}, {img.digest[:19]})"
        for v in report.vulnerabilities:
            fingerprint = (
                f"{img.repository}/{img.platform}/{v.id}/{v.package}/{v.installed_version}"
            )
            result = _result(v, rules.add(v), uri, where, fingerprint)
            result["properties"] = {
                "imageDigest": img.digest,
                "platform": img.platform,
                "tags": img.tags,
            }
            found.append((order[v.severity], result))
    found.sort(key=lambda pair: pair[0])  # stable: most severe first, then run order
    return {
        "version": "2.1.0",
        "$schema": SCHEMA,
        "runs": [
            {
                "tool": {"driver": _driver(scanner, rules.rules)},
                "automationDetails": {"id": f"regscan/{_category(registry)}/"},
                "invocations": [
                    {
                        "executionSuccessful": not notes,
                        "toolExecutionNotifications": notes,
                    }
                ],
                "results": [r for _, r in found],
                "properties": {"runId": run_id, "registry": registry, "images": len(images)},
            }
        ],
    }


def _category(registry: str) -> str:
    host = registry.split("://", 1)[-1].strip("/")
    return re.sub(r"[^A-Za-z0-9._-]", "_", host) or "registry"
