"""The controller→Job contract: rendered once by the builders, read back once by the Jobs."""

from __future__ import annotations

from typing import Any

import pytest

from controller.core import builders
from regscan.common.errors import InvalidInput
from regscan.common.jobs import (
    CONTRACT_ENV,
    DOCKER_CONFIG_DIR,
    RUN_ID_ENV,
    read_discovery_job,
    read_scan_job,
)
from regscan.common.registry import RegistrySpec
from tests.unit.reconcile_tables import SETTINGS

SPEC = RegistrySpec.model_validate(
    {
        "url": "https://harbor.example.com/",
        "insecure": True,
        "caBundle": "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n",
        "repositories": [
            {
                "name": "team-a/*",
                "matchConditions": [{"name": "semver", "expression": "isSemver(tag)"}],
            }
        ],
        "platforms": [{"os": "linux", "arch": "arm64", "variant": "v8"}],
        "maxTags": 5,
        "scanner": {"name": "trivy"},
        "policy": {"failOn": "HIGH", "allowlist": [{"id": "CVE-1", "expires": "2027-01-31"}]},
    }
)


def _container(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj["spec"]
    template = spec["jobTemplate"]["spec"]["template"] if "jobTemplate" in spec else None
    template = template or spec["template"]
    (container,) = template["spec"]["containers"]
    return dict(container)


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container["env"] if "value" in e}


def test_discovery_contract_round_trip() -> None:
    cron = builders.discovery_cronjob("team-a", "harbor", SPEC, "h", SETTINGS, "rs-auth-x")
    container = _container(cron)
    job = read_discovery_job(_env(container))
    assert job.registry.url == "https://harbor.example.com" and job.registry.insecure
    assert job.registry.caBundle == SPEC.caBundle
    assert job.repositories == SPEC.repositories and job.platforms == SPEC.platforms
    assert job.maxTags == 5 and job.source == cron["metadata"]["name"]
    assert job.store is not None and job.store.prefix == "team-a"
    assert job.store.bucket == SETTINGS.s3_bucket
    # the credentials folder named in the contract is where the Secret is mounted
    assert job.registry.dockerConfig == DOCKER_CONFIG_DIR
    assert {"mountPath": DOCKER_CONFIG_DIR, "name": "registry-auth", "readOnly": True} in (
        container["volumeMounts"]
    )
    run_id = next(e for e in container["env"] if e["name"] == RUN_ID_ENV)
    assert run_id["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.labels['job-name']"
    assert container["args"] == ["job", "discover"]


def test_scan_contract_round_trip_carries_policy_and_db() -> None:
    settings = SETTINGS.model_copy(update={"trivy_db_repository": "mirror.local/trivy-db:2"})
    obj = builders.scan_job("team-a", "harbor", "run-1", 3, SPEC, settings, None)
    job = read_scan_job(_env(_container(obj)))
    assert job.run == "run-1" and job.parallel == 1
    assert job.scanner.dbRepository == "mirror.local/trivy-db:2"
    assert job.policy == SPEC.policy
    assert job.registry.dockerConfig is None  # no auth Secret, nothing mounted


def test_contract_has_no_secret_values() -> None:
    obj = builders.scan_job("team-a", "harbor", "run-1", 1, SPEC, SETTINGS, "rs-auth-run-1")
    container = _container(obj)
    secret_env = [e for e in container["env"] if "valueFrom" in e]
    assert {e["valueFrom"]["secretKeyRef"]["key"] for e in secret_env} == {
        "accessKey",
        "secretKey",
    }
    assert "secretKey" not in _env(container)[CONTRACT_ENV]


@pytest.mark.parametrize(
    ("environ", "field"),
    [
        ({}, CONTRACT_ENV),
        ({CONTRACT_ENV: "{not json"}, CONTRACT_ENV),
        ({CONTRACT_ENV: '{"registry": {"url": "https://r"}}'}, f"{CONTRACT_ENV}.run"),
        ({CONTRACT_ENV: '{"run": "r", "registry": {"url": "u"}, "x": 1}'}, f"{CONTRACT_ENV}.x"),
        (
            {CONTRACT_ENV: '{"run": "r", "registry": {"url": "u"}, "parallel": 0}'},
            f"{CONTRACT_ENV}.parallel",
        ),
    ],
)
def test_bad_contract_names_the_field(environ: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        read_scan_job(environ)
    assert err.value.field == field


def test_a_scan_contract_is_not_a_discovery_contract() -> None:
    obj = builders.scan_job("team-a", "harbor", "run-1", 1, SPEC, SETTINGS, None)
    with pytest.raises(InvalidInput) as err:
        read_discovery_job(_env(_container(obj)))
    assert err.value.field.startswith(CONTRACT_ENV)
