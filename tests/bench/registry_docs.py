"""A Registry spec and status that set every field (pure): the valid baselines the
invalid shapes of `tests.bench.invalid_shapes` are made from."""

from __future__ import annotations

from typing import Any

T = "2026-11-22T18:00:00Z"

FULL_SPEC: dict[str, Any] = {
    "url": "https://harbor.example.com",
    "insecure": False,
    "caBundle": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    "authSecret": "harbor-pull",
    "repositories": [
        {
            "name": "team-a/*",
            "matchConditions": [{"name": "semver", "expression": "isSemver(tag, true)"}],
            "matchOperator": "And",
            "strict": False,
        }
    ],
    "platforms": [
        {"os": "windows", "arch": "amd64", "variant": "v1", "osVersion": "10.0.17763"},
        {"os": "linux", "arch": "arm64", "variant": "v8"},
    ],
    "maxTags": 5,
    "schedule": "@daily",
    "suspend": False,
    "scan": {
        "batchSize": 25,
        "parallelism": 4,
        "activeDeadlineSeconds": 3600,
        "backoffLimitPerIndex": 2,
    },
    # every field for the shapes (validation.py refuses a DB mirror beside harbor)
    "scanner": {
        "name": "harbor",
        "dbRepository": "mirror.example.com/trivy-db:2",
        "url": "https://scanner.example.com",
        "authSecret": "scanner-token",
        "authScheme": "Basic",
    },
    "policy": {
        "failOn": "HIGH",
        "onlyFixable": True,
        "allowlist": [{"id": "CVE-2024-1234", "expires": "2027-01-31"}],
    },
}

FULL_STATUS: dict[str, Any] = {
    "observedGeneration": 1,
    "conditions": [
        {
            "type": "Ready",
            "status": "True",
            "reason": "Scanned",
            "message": "ok",
            "lastTransitionTime": T,
            "observedGeneration": 1,
        }
    ],
    "nextScheduleTime": T,
    "lastDiscovery": {
        "runId": "rs-disc-1",
        "completionTime": T,
        "repositories": 2,
        "tags": 3,
        "images": 4,
        "filterErrors": [
            {"repository": "team-a/*", "condition": "semver", "tags": 2, "example": "dev: x"}
        ],
    },
    "lastScan": {
        "runId": "rs-disc-1",
        "startTime": T,
        "completionTime": T,
        "images": 4,
        "scanned": 3,
        "reused": 1,
        "failed": 0,
    },
    "lastRescan": {
        "runId": "rs-db-1",
        "dbDigest": "sha256:" + "a" * 64,
        "dbUpdatedAt": T,
        "affected": 2,
        "rescanned": 2,
        "verified": 5,
        "completionTime": T,
    },
    "database": {"digest": "sha256:" + "a" * 64, "updatedAt": T},
    "vulnerabilities": {
        "critical": 1,
        "high": 2,
        "medium": 3,
        "low": 4,
        "unknown": 0,
        "total": 10,
        "fixable": 5,
    },
    "policy": {"passing": 3, "failing": 1},
    "reports": "s3://regscan/team-a/runs/rs-disc-1/",
}
