"""UTC timestamps, one way to write and read them (pure).

Every timestamp regscan stores or publishes is RFC 3339 in UTC with a `Z`:
`iso` (seconds) for reports, run indexes and status; `micro_iso` (microseconds) for
Kubernetes MicroTime fields (Leases). `parse_time` reads any RFC 3339 form back.
"""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """The clock every component injects by default."""
    return dt.datetime.now(dt.UTC)


def iso(t: dt.datetime) -> str:
    """`2026-01-02T03:04:05Z`; a naive datetime is taken as UTC."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def micro_iso(t: dt.datetime) -> str:
    """`2026-01-02T03:04:05.000000Z` (Kubernetes MicroTime)."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: object) -> dt.datetime | None:
    """An RFC 3339 timestamp (`Z` or offset, any fraction) or None when absent or bad."""
    if not text:
        return None
    try:
        t = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)
