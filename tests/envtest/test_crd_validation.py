"""envtest: the real API server rejects every shape the pydantic models reject.

The invalid documents are generated from the models (`tests.bench.invalid_shapes`),
so a constraint added to `regscan/common/registry.py` is tested here at once;
the CRD is generated from the same models. Spec cases are created with
`dryRun=All`; status cases are PUT on the status subresource (dry run too).
"""

from __future__ import annotations

from typing import Any

import pytest

from controller.api import labels as L
from controller.kube.client import KubeClient, KubeError
from regscan.common.registry import RegistrySpec, RegistryStatus
from tests.bench.invalid_shapes import invalid_cases
from tests.bench.registry_docs import FULL_SPEC, FULL_STATUS
from tests.envtest.conftest import NS, ApiServer, registry

PATH = f"/apis/{L.API_VERSION}/namespaces/{NS}/{L.PLURAL}"
SPEC_CASES = invalid_cases(RegistrySpec, FULL_SPEC)
STATUS_CASES = invalid_cases(RegistryStatus, FULL_STATUS)


def _refused(answer: Any) -> str:
    """'' when the server refused the document as invalid (422), else what it said."""
    if answer.status_code == 422:
        return ""
    return f"HTTP {answer.status_code}: {answer.text[:300]}"


def test_the_full_spec_and_status_are_accepted_as_sent(crd: ApiServer) -> None:
    with crd.http() as http:
        created = http.post(PATH, json=registry("full", FULL_SPEC))
        assert created.status_code == 201, created.text
        assert created.json()["spec"] == FULL_SPEC
        obj = created.json()
        obj["status"] = FULL_STATUS
        updated = http.put(f"{PATH}/full/status", json=obj)
        assert updated.status_code == 200, updated.text
        assert updated.json()["status"] == FULL_STATUS
        assert http.delete(f"{PATH}/full").status_code == 200


def test_every_invalid_spec_is_refused_by_the_api_server(crd: ApiServer) -> None:
    accepted = []
    with crd.http() as http:
        for case in SPEC_CASES:
            answer = http.post(PATH, params={"dryRun": "All"}, json=registry("bad", case.document))
            if why := _refused(answer):
                accepted.append(f"{case.id}: {why}")
    assert accepted == [], f"{len(accepted)} of {len(SPEC_CASES)} invalid specs not refused"


def test_every_invalid_status_is_refused_by_the_status_subresource(crd: ApiServer) -> None:
    accepted = []
    with crd.http() as http:
        obj = http.post(PATH, json=registry("status-shapes", FULL_SPEC)).json()
        try:
            for case in STATUS_CASES:
                answer = http.put(
                    f"{PATH}/status-shapes/status",
                    params={"dryRun": "All"},
                    json={**obj, "status": case.document},
                )
                if why := _refused(answer):
                    accepted.append(f"{case.id}: {why}")
        finally:
            http.delete(f"{PATH}/status-shapes")
    assert accepted == [], f"{len(accepted)} of {len(STATUS_CASES)} invalid statuses not refused"


def test_the_controllers_status_patch_round_trips_and_is_validated(kube: KubeClient) -> None:
    """KubeClient.patch_status (a merge patch) with the new fields database and lastRescan."""
    kube.create(registry("patched", FULL_SPEC))
    try:
        kube.patch_status(NS, "patched", {"status": FULL_STATUS})
        stored = kube.get("Registry", NS, "patched")
        assert stored is not None and stored["status"] == FULL_STATUS
        assert stored["spec"] == FULL_SPEC  # the status subresource leaves the spec alone
        with pytest.raises(KubeError) as err:
            kube.patch_status(NS, "patched", {"status": {"lastRescan": {"affected": "many"}}})
        assert err.value.status == 422 and "lastRescan.affected" in str(err.value)
        with pytest.raises(KubeError) as err:
            kube.patch_status(NS, "patched", {"status": {"database": "sha256:abc"}})
        assert err.value.status == 422 and "status.database" in str(err.value)
        # a merge patch of one field keeps the others
        kube.patch_status(NS, "patched", {"status": {"database": {"digest": "sha256:" + "b" * 64}}})
        stored = kube.get("Registry", NS, "patched")
        assert stored is not None
        assert stored["status"]["database"] == {
            **FULL_STATUS["database"],
            "digest": "sha256:" + "b" * 64,
        }
        assert stored["status"]["lastRescan"] == FULL_STATUS["lastRescan"]
    finally:
        kube.delete("Registry", NS, "patched")
