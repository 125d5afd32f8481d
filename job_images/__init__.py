"""regscan Job-container code: discovery, scanning, the object store, and the CLI."""

__version__ = "0.1.0"
