"""Findings (or Trivy JSON) -> normalized report; summaries (pure)."""

from __future__ import annotations

from typing import Any

from regscan.common.reports import (
    SEVERITIES,
    Artifact,
    Report,
    ScannerInfo,
    Summary,
    Vulnerability,
)


def _severity(value: object) -> str:
    text = str(value or "UNKNOWN").upper()
    return text if text in SEVERITIES else "UNKNOWN"


def _score(v: dict[str, Any]) -> float | None:
    cvss = v.get("CVSS") or {}
    scores = [
        float(s["V3Score"])
        for s in cvss.values()
        if isinstance(s, dict) and isinstance(s.get("V3Score"), int | float)
    ]
    return max(scores) if scores else None


def vulnerabilities_from_trivy(doc: dict[str, Any]) -> list[Vulnerability]:
    """Findings from `trivy ... --format json`, deduplicated on id+package+installedVersion."""
    seen: dict[tuple[str, str, str], Vulnerability] = {}
    for result in doc.get("Results") or []:
        for v in (result or {}).get("Vulnerabilities") or []:
            if not isinstance(v, dict) or not v.get("VulnerabilityID"):
                continue
            key = (
                str(v["VulnerabilityID"]),
                str(v.get("PkgName", "")),
                str(v.get("InstalledVersion", "")),
            )
            if key in seen:
                continue
            links = [str(x) for x in (v.get("References") or [])]
            primary = v.get("PrimaryURL")
            if primary and primary not in links:
                links.insert(0, str(primary))
            seen[key] = Vulnerability(
                id=key[0],
                package=key[1],
                installedVersion=key[2],
                fixedVersion=str(v.get("FixedVersion") or ""),
                severity=_severity(v.get("Severity")),
                title=str(v.get("Title") or ""),
                purl=str((v.get("PkgIdentifier") or {}).get("PURL") or ""),
                links=links[:10],
                score=_score(v),
            )
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(seen.values(), key=lambda x: (order[x.severity], x.id, x.package))


def summarize(vulns: list[Vulnerability]) -> Summary:
    counts = {s.lower(): 0 for s in SEVERITIES}
    for v in vulns:
        counts[v.severity.lower()] += 1
    return Summary(**counts, total=len(vulns), fixable=sum(1 for v in vulns if v.fixed_version))


def max_severity(vulns: list[Vulnerability]) -> str:
    for sev in SEVERITIES:
        if any(v.severity == sev for v in vulns):
            return sev
    return "NONE"


def report_from_findings(
    artifact: Artifact, scanner: ScannerInfo, vulns: list[Vulnerability], generated_at: str
) -> Report:
    """The normalized report of any scanner's findings (no policy verdict yet)."""
    return Report(
        artifact=artifact,
        scanner=scanner,
        generatedAt=generated_at,
        summary=summarize(vulns),
        severity=max_severity(vulns),
        vulnerabilities=vulns,
    )
