"""Condition types, condition and Event reasons, and run outcomes: one place each (pure).

Metrics are keyed on `RunOutcome`, never on reason strings.
"""

from __future__ import annotations

from enum import StrEnum

# condition types on a Registry's status
READY = "Ready"
DISCOVERING = "Discovering"
SCANNING = "Scanning"
DEGRADED = "Degraded"

# condition reasons
SCHEDULED = "Scheduled"
INVALID_SPEC = "InvalidSpec"
AUTH_SECRET_NOT_FOUND = "AuthSecretNotFound"
AUTH_SECRET_INVALID = "AuthSecretInvalid"
RUNNING = "Running"
IDLE = "Idle"
STARTED = "Started"
DISCOVERY_FAILED = "DiscoveryFailed"
DISCOVERY_RESULT_MISSING = "DiscoveryResultMissing"
SHARDS_FAILED = "ShardsFailed"
HEALTHY = "Healthy"
RECOVERED = "Recovered"
RECONCILE_ERROR = "ReconcileError"

# Event reasons
SCAN_REQUESTED = "ScanRequested"
SCAN_STARTED = "ScanStarted"
SCAN_SKIPPED = "ScanSkipped"
SCAN_FINISHED = "ScanFinished"
SCAN_FAILED = "ScanFailed"
RESCAN_STARTED = "RescanStarted"  # a new vulnerability DB: a rescan run began


class RunOutcome(StrEnum):
    """How a scan run ended, for the `regscan_runs` metric."""

    FINISHED = "finished"
    FAILED = "failed"
    SKIPPED = "skipped"
