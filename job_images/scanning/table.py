"""Render a run as people read it (pure): the run's table, each image's findings under a
header naming its platform and digest, and CSV.
"""

from __future__ import annotations

import csv
import io

from regscan.common.policy import PolicySpec
from regscan.common.reports import RunImage, RunIndex, RunReport


def _short(digest: str) -> str:
    return digest.split(":")[-1][:12]


def render_table(index: RunIndex) -> str:
    header = ("IMAGE", "PLATFORM", "DIGEST", "CRIT", "HIGH", "MED", "LOW", "FIXABLE", "STATUS")
    rows: list[tuple[str, ...]] = []
    for img in index.images:
        name = f"{img.repository}:{img.tags[0]}" if img.tags else img.repository
        if len(img.tags) > 1:
            name += f" (+{len(img.tags) - 1})"
        s = img.summary
        counts = (
            (str(s.critical), str(s.high), str(s.medium), str(s.low), str(s.fixable))
            if s
            else ("-",) * 5
        )
        status = img.status if img.status != "ok" else ("reused" if img.reused else "scanned")
        if img.policy is not None and not img.policy.passed:
            status += " POLICY-FAIL"
        if img.error_code:
            status += f" ({img.error_code})"
        rows.append((name, img.platform, _short(img.digest), *counts, status))
    t = index.totals
    rows.append(
        (
            "TOTAL (unique digests)",
            "",
            "",
            str(t.critical),
            str(t.high),
            str(t.medium),
            str(t.low),
            str(t.fixable),
            f"scanned={index.scanned} reused={index.reused} failed={index.failed}",
        )
    )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    lines.insert(len(lines) - 1, "-" * len(lines[0]))
    if index.partial:
        lines.append(
            f"PARTIAL RUN: {index.failed} images failed, {index.discovery_errors} "
            "repositories/tags could not be discovered; this is not the whole registry"
        )
    for failed in index.filter_errors:
        lines.append(
            f"TAG FILTER: {failed.condition} ({failed.repository}) could not be evaluated on "
            f"{failed.tags} tags, counted as no match; e.g. {failed.example}"
        )
    return "\n".join(lines) + "\n"


def _verdict(img: RunImage, policy: PolicySpec | None) -> str:
    if img.policy is None:
        return "policy: -"
    if img.policy.passed:
        fail_on = policy.failOn if policy is not None else None
        return "policy: pass" + (f" (fail on {fail_on})" if fail_on else " (no --fail-on)")
    return "policy: FAIL (" + "; ".join(img.policy.reasons[:1]) + ")"


def render_images(run: RunReport) -> str:
    """Each selected image: a header naming it, its platform and digest, then its findings."""
    blocks: list[str] = []
    for item in run.images:
        img, report = item.image, item.report
        name = f"{img.repository}:{img.tags[0]}" if img.tags else img.repository
        if len(img.tags) > 1:
            name += f" (also {', '.join(img.tags[1:])})"
        head = [f"== {name}  {img.platform}  {img.digest}"]
        if img.index_digest:
            head.append(f"   index {img.index_digest}")
        if report is None:
            head.append(f"   {img.status}: {img.error or 'no stored report'}")
            blocks.append("\n".join(head))
            continue
        db = report.scanner.db_updated_at or "-"
        head.append(
            f"   scanned {report.generated_at} with {report.scanner.name} "
            f"{report.scanner.version} (DB {db}); {_verdict(img, run.policy)}"
        )
        rows = [("SEVERITY", "ID", "PACKAGE", "INSTALLED", "FIXED")] + [
            (v.severity, v.id, v.package, v.installed_version, v.fixed_version or "-")
            for v in report.vulnerabilities
        ]
        if len(rows) == 1:
            head.append("   no vulnerabilities found")
        else:
            widths = [max(len(r[i]) for r in rows) for i in range(5)]
            head += [
                "   " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                for r in rows
            ]
        blocks.append("\n".join(head))
    return "\n\n".join(blocks) + "\n"


CSV_COLUMNS = (
    "run",
    "registry",
    "repository",
    "tags",
    "platform",
    "digest",
    "indexDigest",
    "status",
    "policy",
    "severity",
    "id",
    "package",
    "installedVersion",
    "fixedVersion",
    "title",
)


def render_csv(run: RunReport) -> str:
    """One row per finding of each image; an image without findings gets one row too."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for item in run.images:
        img = item.image
        verdict = "" if img.policy is None else ("pass" if img.policy.passed else "fail")
        where = [
            run.run_id,
            img.registry,
            img.repository,
            " ".join(img.tags),
            img.platform,
            img.digest,
            img.index_digest or "",
            img.status,
            verdict,
        ]
        vulns = item.report.vulnerabilities if item.report else []
        for v in vulns:
            writer.writerow(
                [*where, v.severity, v.id, v.package, v.installed_version, v.fixed_version, v.title]
            )
        if not vulns:
            writer.writerow([*where, "", "", "", "", "", ""])
    return out.getvalue()
