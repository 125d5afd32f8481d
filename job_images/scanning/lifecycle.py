"""Deleted-image lifecycle: which digests to forget, after a grace period (pure)."""

from __future__ import annotations

import datetime as dt

from regscan.common.reports import Inventory, InventoryEntry
from regscan.common.timeutil import iso as _iso
from regscan.common.timeutil import parse_time


def _parse(text: str) -> dt.datetime:
    t = parse_time(text)
    if t is None:
        raise ValueError(f"not a timestamp: {text!r}")
    return t


def update_inventory(
    inventory: Inventory,
    seen: set[str],
    now: dt.datetime,
    grace: dt.timedelta,
    kept_elsewhere: set[str],
) -> tuple[Inventory, list[str]]:
    """Return the new inventory and the digests whose artifacts should now be removed.

    A digest missing from this run is marked `missingSince`; once missing for longer
    than `grace` it is dropped, and its artifacts removed unless another inventory
    (another registry in the same store) still holds it.
    """
    stamp = _iso(now)
    out = Inventory(registry=inventory.registry, selection=inventory.selection)
    remove: list[str] = []
    for digest in sorted(set(inventory.digests) | seen):
        old = inventory.digests.get(digest)
        if digest in seen:
            out.digests[digest] = InventoryEntry(
                firstSeen=old.first_seen if old else stamp, lastSeen=stamp
            )
            continue
        assert old is not None
        missing = old.missing_since or stamp
        if now - _parse(missing) >= grace:
            if digest not in kept_elsewhere:
                remove.append(digest)
            continue
        out.digests[digest] = InventoryEntry(
            firstSeen=old.first_seen, lastSeen=old.last_seen, missingSince=missing
        )
    return out, remove
