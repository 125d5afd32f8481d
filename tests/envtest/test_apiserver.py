"""The envtest bench: a real API server accepts objects the controller will manage."""

from __future__ import annotations

from tests.envtest.conftest import ApiServer


def test_apiserver_stores_and_returns_a_namespace(apiserver: ApiServer) -> None:
    from kubernetes import client, config

    api = client.CoreV1Api(config.new_client_from_config(str(apiserver.kubeconfig)))
    api.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="regscan-envtest")))
    names = [n.metadata.name for n in api.list_namespace().items]
    assert "regscan-envtest" in names
