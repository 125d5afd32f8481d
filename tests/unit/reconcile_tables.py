"""Shared inputs for the reconcile table tests: Registries, labels, images, run data (pure)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from controller.api import labels as L
from controller.core import builders
from controller.core.observed import RegistryObs, RunData
from controller.settings import Settings
from regscan.common.discovery import DiscoveryResult, DiscoveryStats, ImageEntry
from regscan.common.registry import RegistrySpec
from regscan.common.reports import CheckResult, RunImage, RunIndex, ScannerInfo, Summary

NOW = dt.datetime(2026, 11, 22, 10, 30, tzinfo=dt.UTC)
SETTINGS = Settings(namespace="regscan-system", job_image="regscan:test", s3_bucket="results")
D = ["sha256:" + c * 64 for c in "abcdef"]


def spec(**kw: Any) -> dict[str, Any]:
    return {"url": "https://harbor.example.com", "schedule": "@hourly", **kw}


def reg(name: str = "harbor", ns: str = "team-a", **kw: Any) -> RegistryObs:
    base: dict[str, Any] = {
        "namespace": ns,
        "name": name,
        "uid": f"uid-{name}",
        "generation": 3,
        "spec": spec(),
    }
    base.update(kw)
    return RegistryObs(**base)


def lbl(component: str, name: str = "harbor", ns: str = "team-a", **extra: str) -> dict[str, str]:
    return {
        L.MANAGED_BY: "regscan",
        L.COMPONENT: component,
        L.REGISTRY_NAMESPACE: ns,
        L.REGISTRY_NAME: name,
        **extra,
    }


def images(n: int, repos: tuple[str, ...] = ("app",)) -> list[ImageEntry]:
    return [
        ImageEntry(
            registry="harbor.example.com",
            repository=r,
            tags=["v1"],
            digest=D[i],
            platform="linux/amd64",
        )
        for i in range(n)
        for r in repos
    ]


def applied(plan: Any, kind: str) -> list[dict[str, Any]]:
    return [o for o in plan.apply if o["kind"] == kind]


def cond(status: dict[str, Any], type_: str) -> dict[str, Any]:
    return next(c for c in status["conditions"] if c["type"] == type_)


def discovered_run(n: int, repos: tuple[str, ...] = ("app",)) -> RunData:
    imgs = images(n, repos)
    return RunData(
        discovery=DiscoveryResult(
            images=imgs, stats=DiscoveryStats(repositories=len(repos), tags=n * len(repos))
        )
    )


def previous_index(digests: list[str], info: ScannerInfo, policy: str | None = None) -> RunIndex:
    prev = shard_result("run-0", digests)
    for img in prev.images:
        img.scanned_with = info
    prev.policy_hash = policy or builders.policy_hash(RegistrySpec.model_validate(spec()))
    return prev


def shard_keys(plan: Any) -> list[str]:
    return [k for k, _ in plan.put_objects if "/shards/" in k]


def shard_result(run: str, digests: list[str], failed: int = 0) -> RunIndex:
    imgs = [
        RunImage(
            registry="h",
            repository="app",
            tags=["v1"],
            digest=d,
            platform="linux/amd64",
            status="ok",
            summary=Summary(critical=1, high=2, total=3, fixable=2),
            policy=CheckResult(passed=False),
        )
        for d in digests
    ]
    return RunIndex(runId=run, startedAt="t", images=imgs, scanned=len(digests), failed=failed)
