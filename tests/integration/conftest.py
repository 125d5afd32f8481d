"""Fixtures of the integration tier beyond the session bench in tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.bench import servers
from tests.bench.catalog import SampleCatalog
from tests.bench.faults import FaultProxy


@pytest.fixture
def proxy(registry: servers.Registry, samples: SampleCatalog) -> Iterator[FaultProxy]:
    p = FaultProxy(registry.url, paginate_tags=True)
    yield p
    p.stop()
