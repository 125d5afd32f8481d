"""Progress events of long work and their counts (pure).

Library code reports progress through a `Notify` callable, `notify(event, n)`, from any
thread; the command decides how to show it (`regscan.cli.progress`). `Counts` adds the
events up and renders the one-line summary the text and JSON displays share.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

Notify = Callable[[str, int], None]

REPOSITORIES = "repositories"  # repositories listed
TAGS = "tags"  # tags kept by the filters, to resolve
RESOLVED = "resolved"  # tags resolved to a digest (HEAD done, ok or not)
IMAGES = "images"  # platform images discovered (set once, at the end of discovery)
DIGESTS = "digests"  # unique digests the scan will handle
SCANNED = "scanned"
REUSED = "reused"
FAILED = "failed"
EVENTS = (REPOSITORIES, TAGS, RESOLVED, IMAGES, DIGESTS, SCANNED, REUSED, FAILED)


def no_progress(event: str, n: int = 1) -> None:
    """The default `Notify`: nothing to show."""


@dataclass
class Counts:
    values: dict[str, int] = field(default_factory=lambda: dict.fromkeys(EVENTS, 0))

    def add(self, event: str, n: int) -> None:
        self.values[event] = self.values.get(event, 0) + n

    def __getitem__(self, event: str) -> int:
        return self.values.get(event, 0)

    @property
    def done(self) -> int:
        return self[SCANNED] + self[REUSED] + self[FAILED]

    def line(self, elapsed: float) -> str:
        """`discovered 12 images (3 repositories, 40/40 tags); scanned 4, reused 6,
        failed 0 of 12 digests; 0:42 elapsed`, leaving out phases not yet started."""
        parts = []
        if self[REPOSITORIES] or self[TAGS]:
            found = f"discovered {self[IMAGES]} images " if self[IMAGES] else "discovering "
            parts.append(
                f"{found}({self[REPOSITORIES]} repositories, "
                f"{self[RESOLVED]}/{self[TAGS]} tags resolved)"
            )
        if self[DIGESTS]:
            parts.append(
                f"scanned {self[SCANNED]}, reused {self[REUSED]}, failed {self[FAILED]}"
                f" of {self[DIGESTS]} digests"
            )
        minutes, seconds = divmod(int(elapsed), 60)
        parts.append(f"{minutes}:{seconds:02d} elapsed")
        return "; ".join(parts)
