"""Render a run index as the findings table people read (pure)."""

from __future__ import annotations

from regscan.common.reports import RunIndex


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
    return "\n".join(lines) + "\n"
