"""Harbor-style "prevent vulnerable images" policy as a pure check (`now` injected)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from regscan.common.errors import InvalidInput
from regscan.common.policy import AllowlistEntry, PolicySpec
from regscan.common.reports import SEVERITIES, CheckResult, Report

RANK = {s: len(SEVERITIES) - i for i, s in enumerate(SEVERITIES)}  # CRITICAL=5 ... UNKNOWN=1


@dataclass(frozen=True)
class AllowEntry:
    id: str
    expires: dt.date | None = None


@dataclass(frozen=True)
class Policy:
    fail_on: str | None = None  # a severity, or None = never fail
    only_fixable: bool = False
    allowlist: tuple[AllowEntry, ...] = field(default_factory=tuple)


def parse_severity(value: str | None, field_name: str = "fail-on") -> str | None:
    if value is None or value.strip().lower() in ("", "none", "never"):
        return None
    text = value.strip().upper()
    if text not in SEVERITIES:
        raise InvalidInput(field_name, f"{value!r} is not one of {', '.join(SEVERITIES)} or NONE")
    return text


def parse_allow_entry(text: str) -> AllowEntry:
    """`CVE-ID` or `CVE-ID:YYYY-MM-DD` (expiry date, exclusive)."""
    vid, _, expires = text.strip().partition(":")
    if not vid:
        raise InvalidInput("allow", f"{text!r}: empty vulnerability id")
    if not expires:
        return AllowEntry(vid)
    try:
        return AllowEntry(vid, dt.date.fromisoformat(expires))
    except ValueError as exc:
        raise InvalidInput("allow", f"{text!r}: expiry is not YYYY-MM-DD") from exc


def policy_from_spec(spec: PolicySpec) -> Policy:
    """The Registry resource's policy (already validated by its schema) as a Policy."""
    return Policy(
        fail_on=spec.failOn,
        only_fixable=spec.onlyFixable,
        allowlist=tuple(AllowEntry(a.id, a.expires) for a in spec.allowlist),
    )


def spec_of(policy: Policy) -> PolicySpec:
    """The policy as recorded in a run index (the inverse of `policy_from_spec`)."""
    return PolicySpec.model_validate(
        {
            "failOn": policy.fail_on,
            "onlyFixable": policy.only_fixable,
            "allowlist": [AllowlistEntry(id=a.id, expires=a.expires) for a in policy.allowlist],
        }
    )


def check(report: Report, policy: Policy, now: dt.datetime) -> CheckResult:
    if policy.fail_on is None:
        return CheckResult(passed=True)
    threshold = RANK[policy.fail_on]
    today = now.date()
    allowed = {a.id for a in policy.allowlist if a.expires is None or today < a.expires}
    reasons: list[str] = []
    for v in report.vulnerabilities:
        if RANK[v.severity] < threshold or v.id in allowed:
            continue
        if policy.only_fixable and not v.fixed_version:
            continue
        reasons.append(f"{v.id} ({v.severity}) in {v.package} {v.installed_version}")
    if reasons:
        head = f"{len(reasons)} finding(s) at or above {policy.fail_on}"
        return CheckResult(passed=False, reasons=[head, *reasons[:20]])
    return CheckResult(passed=True)
