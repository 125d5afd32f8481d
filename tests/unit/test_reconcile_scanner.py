"""reconcile tables, a harbor scanner (`spec.scanner`): its token Secret checked, copied
per run and mounted in the scan Job; the contract names the server, never the token (pure).
"""

from __future__ import annotations

from typing import Any

import pytest

from controller.api import labels as L
from controller.core import naming
from controller.core.observed import AuthSecret, JobObs, ObjectObs, Observed
from controller.core.reconcile import reconcile
from controller.core.rescans import mirrors_to_check
from controller.observe import auth_secret, secrets_named
from regscan.common.jobs import SCANNER_TOKEN_DIR, read_scan_job
from tests.unit.reconcile_tables import (
    NOW,
    SETTINGS,
    applied,
    cond,
    discovered_run,
    lbl,
    reg,
    shard_result,
    spec,
)

RUN = "rs-disc-x-123"
TOKEN = "s3cr3t-adapter-token"
HARBOR = {"name": "harbor", "url": "https://scanner.example:8443", "authSecret": "scan-token"}
DISC = JobObs(RUN, lbl("discovery"), succeeded=True, completion_time="t1")
SETTINGS_WITH_MIRROR = SETTINGS.model_copy(update={"trivy_db_repository": "mirror.local/db:2"})


def _start(scanner: dict[str, Any], secret: AuthSecret | None) -> Any:
    r = reg(spec=spec(scanner=scanner))
    auth = {} if secret is None else {("team-a", "scan-token"): secret}
    obs = Observed(registries=[r], jobs=[DISC], runs={RUN: discovered_run(3)}, auth=auth)
    return reconcile(obs, SETTINGS_WITH_MIRROR, NOW)


def test_the_scan_job_mounts_a_run_copy_of_the_token_and_its_contract_names_the_server() -> None:
    plan = _start({**HARBOR, "authScheme": "APIKey"}, AuthSecret("Opaque", {"token": TOKEN}))
    (copy,) = applied(plan, "Secret")
    assert copy["metadata"]["name"] == naming.scanner_secret_name(RUN)
    assert copy["metadata"]["labels"][L.RUN_ID] == RUN  # goes when the run is summarized
    assert copy["stringData"] == {"token": TOKEN} and copy["type"] == "Opaque"
    (job,) = applied(plan, "Job")
    pod = job["spec"]["template"]["spec"]
    (volume,) = [v for v in pod["volumes"] if v["name"] == "scanner-auth"]
    assert volume["secret"] == {
        "secretName": copy["metadata"]["name"],
        "items": [{"key": "token", "path": "token"}],
    }
    (container,) = pod["containers"]
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == "scanner-auth"]
    assert mount == {"name": "scanner-auth", "mountPath": SCANNER_TOKEN_DIR, "readOnly": True}
    contract = read_scan_job({e["name"]: e.get("value", "") for e in container["env"]})
    assert contract.scanner.name == "harbor" and contract.scanner.url == HARBOR["url"]
    assert contract.scanner.authScheme == "APIKey"
    assert contract.scannerToken == f"{SCANNER_TOKEN_DIR}/token"
    assert contract.scanner.dbRepository is None  # the controller's Trivy mirror is not its
    assert contract.scanner.authSecret is None  # a name of the Registry's namespace
    assert TOKEN not in str(job) and TOKEN not in str(plan.status)


def test_without_a_token_secret_nothing_is_mounted() -> None:
    plan = _start({"name": "harbor", "url": "http://scanner:8080"}, None)
    assert applied(plan, "Secret") == []
    (job,) = applied(plan, "Job")
    assert "scanner-auth" not in str(job)
    env = job["spec"]["template"]["spec"]["containers"][0]["env"]
    assert read_scan_job({e["name"]: e.get("value", "") for e in env}).scannerToken is None


def test_the_trivy_contract_keeps_the_controllers_mirror() -> None:
    plan = _start({"name": "trivy"}, None)
    (job,) = applied(plan, "Job")
    env = job["spec"]["template"]["spec"]["containers"][0]["env"]
    contract = read_scan_job({e["name"]: e.get("value", "") for e in env})
    assert contract.scanner.dbRepository == "mirror.local/db:2" and contract.scanner.url is None


@pytest.mark.parametrize(
    ("secret", "reason", "message"),
    [
        (None, "AuthSecretNotFound", "Secret scan-token not found in namespace team-a"),
        (AuthSecret("Opaque", {"password": TOKEN}), "AuthSecretInvalid", "non-empty key token"),
        (AuthSecret("Opaque", {"token": " \n"}), "AuthSecretInvalid", "non-empty key token"),
    ],
)
def test_an_unusable_token_secret_stops_the_registry(
    secret: AuthSecret | None, reason: str, message: str
) -> None:
    plan = _start(HARBOR, secret)
    ready = cond(plan.status[0][2], "Ready")
    assert ready["status"] == "False" and ready["reason"] == reason
    assert ready["message"].startswith("spec.scanner.authSecret: ") and message in ready["message"]
    assert plan.apply == []


def test_the_run_copy_goes_when_the_run_is_summarized() -> None:
    r = reg(spec=spec(scanner=HARBOR))
    scan = JobObs(naming.scan_job_name(RUN), lbl("scan", **{L.RUN_ID: RUN}), succeeded=True)
    data = discovered_run(2)
    data.shard_results = {0: shard_result(RUN, [i.digest for i in data.discovery.images])}
    copy = ObjectObs(naming.scanner_secret_name(RUN), lbl("auth", **{L.RUN_ID: RUN}))
    obs = Observed(
        registries=[r],
        jobs=[DISC, scan],
        secrets=[copy],
        runs={RUN: data},
        auth={("team-a", "scan-token"): AuthSecret("Opaque", {"token": TOKEN})},
    )
    plan = reconcile(obs, SETTINGS, NOW)
    assert ("Secret", SETTINGS.namespace, copy.name) in plan.delete
    assert plan.status[0][2]["lastScan"]["completionTime"]


def test_a_harbor_registry_asks_no_db_mirror() -> None:
    status = {"database": {"digest": "sha256:" + "1" * 64}}
    regs = [
        reg(name="a", spec=spec(scanner=HARBOR), status=status),
        reg(name="b", spec=spec(), status=status),
    ]
    assert mirrors_to_check(Observed(registries=regs), SETTINGS) == {""}


def test_the_secrets_a_spec_names_are_read_and_decoded() -> None:
    assert secrets_named(spec(authSecret="pull", scanner=HARBOR)) == ["pull", "scan-token"]
    assert secrets_named(spec(scanner="not-an-object")) == []
    secret = auth_secret(
        {"type": "Opaque", "data": {"token": "dG9rZW4K", "bin": "/w==", "bad": "%%"}}
    )
    assert secret == AuthSecret("Opaque", {"token": "token\n"})  # non-text values left out
    assert auth_secret(None) is None
