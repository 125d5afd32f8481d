"""Scanner adapters, selected by name (`trivy` is the default)."""

from __future__ import annotations

from job_images.scanning.adapters.base import ScannerAdapter
from regscan.common.errors import InvalidInput


def get_adapter(name: str) -> ScannerAdapter:
    """Instantiate the adapter registered under `name`. Each adapter lives in its own module."""
    if name == "trivy":
        from job_images.scanning.adapters.trivy import TrivyAdapter

        return TrivyAdapter()
    raise InvalidInput("scanner", f"unknown scanner {name!r} (available: trivy)")
