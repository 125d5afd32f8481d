"""The rescan Job's work (does I/O through the store and the adapter): after a
vulnerability-DB update, which digests of a finished run the update can affect.

The adapter's `handle_notification` re-stamps every report the update cannot change
and names the rest. The run gets `fromRun`'s discovery result as its own (its run index
lists the whole registry) and `runs/<run>/rescan.json` naming the affected digests; the
controller then scans only those, as for any run.
"""

from __future__ import annotations

import logging

from job_images.scanning import artifacts
from job_images.scanning.adapters.base import ScannerAdapter
from job_images.scanning.plan import stale_digests
from job_images.store.backends import ObjectStore
from regscan.common import layout
from regscan.common.discovery import DiscoveryResult
from regscan.common.errors import InvalidInput
from regscan.common.jobs import CONTRACT_ENV, RescanJob
from regscan.common.reports import RescanPlan

log = logging.getLogger("regscan.job.rescan")


def run_rescan_job(
    job: RescanJob, run: str, store: ObjectStore, adapter: ScannerAdapter
) -> RescanPlan:
    layout.check_run_id(run)
    source = layout.discovery_key(layout.check_run_id(job.fromRun))
    data = store.get(source)
    if data is None:
        raise InvalidInput(f"{CONTRACT_ENV}.fromRun", f"no discovery result at {store.url(source)}")
    images = DiscoveryResult.model_validate_json(data).images
    digests = {i.digest for i in images}
    adapter.prepare()  # the current DB, fingerprinted
    current = adapter.metadata()
    stale = set(stale_digests(artifacts.stored_reports(store), current)) & digests
    affected = sorted(set(adapter.handle_notification({"type": "db-updated"})) & digests)
    plan = RescanPlan(
        runId=run,
        fromRun=job.fromRun,
        scanner=current,
        affected=affected,
        verified=len(stale) - len(affected),
    )
    store.put(layout.rescan_plan_key(run), plan.to_json())
    store.put(layout.discovery_key(run), data)  # written last: the run is ready
    log.info(
        "run %s: DB %s: %d of %d digests affected, %d re-stamped",
        run, current.db_updated_at, len(affected), len(digests), plan.verified,
    )  # fmt: skip
    return plan
