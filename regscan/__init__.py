"""regscan: `regscan.common` (pure, shared by every layer) and `regscan.cli` (the commands)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("regscan")  # pyproject.toml is the one place for it
except PackageNotFoundError:  # run from a source tree without installing
    __version__ = "0.0.0+source"
