"""Fixtures of the integration tier beyond the session bench in tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bench import servers
from tests.bench.catalog import SampleCatalog
from tests.bench.faults import FaultProxy
from tests.bench.serve import Served, push_images, start_serve


@pytest.fixture
def proxy(registry: servers.Registry, samples: SampleCatalog) -> Iterator[FaultProxy]:
    p = FaultProxy(registry.url, paginate_tags=True)
    yield p
    p.stop()


@pytest.fixture(scope="session")
def served(
    registry_basic: servers.Registry,
    trivy_cache: Path,
    trivy_bin: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Served]:
    """`regscan serve` (token `serve.TOKEN`) and the basic-auth registry's team/* images."""
    digests = push_images(registry_basic)
    out = tmp_path_factory.mktemp("serve-results")
    url, proc = start_serve(out, trivy_cache, trivy_bin)
    server = Served(url, out, proc, registry_basic, digests)
    yield server
    server.stop()
