"""regscan: `regscan.common` (pure, shared by every layer) and `regscan.cli` (the commands)."""

__version__ = "0.1.0"
