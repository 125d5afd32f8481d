"""The DB mirrors' current DB digests, asked at most every `db_check_seconds` (does I/O:
one HEAD per mirror through `job_images.scanning.dbsource`)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from controller.settings import Settings
from job_images.scanning.dbsource import mirror_digest
from regscan.common.dbref import DBRef, db_refs
from regscan.common.errors import InvalidInput

log = logging.getLogger("regscan.controller")
Probe = Callable[[list[DBRef]], "tuple[DBRef, str] | None"]


def _head(refs: list[DBRef]) -> tuple[DBRef, str] | None:
    return mirror_digest(refs, ca_file=None, insecure=False, timeout=10.0)


class DBWatch:
    """Mirror ("" = Trivy's default) -> digest, or None when it did not answer."""

    def __init__(
        self,
        settings: Settings,
        probe: Probe = _head,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = settings.db_check_seconds
        self.probe, self.clock = probe, clock
        self._seen: dict[str, tuple[float, str | None]] = {}

    def digests(self, mirrors: Iterable[str]) -> dict[str, str | None]:
        if self.interval <= 0:
            return {}
        now, out = self.clock(), {}
        for mirror in sorted(set(mirrors)):
            seen = self._seen.get(mirror)
            if seen is None or now - seen[0] >= self.interval:
                seen = (now, self._ask(mirror))
                self._seen[mirror] = seen
            out[mirror] = seen[1]
        return out

    def _ask(self, mirror: str) -> str | None:
        try:
            found = self.probe(db_refs(mirror or None))
        except InvalidInput as exc:  # the Registry's status names the bad field already
            log.warning("vulnerability DB mirror %r: %s", mirror, exc)
            return None
        return found[1] if found else None
