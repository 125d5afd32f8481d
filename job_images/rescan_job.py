"""The rescan Job's work (does I/O through the store and the adapter): after a
vulnerability-DB update, which digests of a finished run the update can affect.

As the adapter's `handle_notification` does (`plan.split_stale`, one pass over the stored
reports), every report the update cannot change is re-stamped and the rest are named. The
run gets `fromRun`'s discovery result as its own (its run index lists the whole registry)
and `runs/<run>/rescan.json` naming the affected digests; the controller then scans only
those, as for any run.
"""

from __future__ import annotations

import logging

from job_images.scanning import artifacts
from job_images.scanning.adapters.base import ScannerAdapter
from job_images.scanning.plan import split_stale
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
    # one pass over the stored reports, as the adapter's handle_notification makes it
    rescan, restamped = split_stale(artifacts.stored_reports(store), current, adapter.revalidate)
    plan = RescanPlan(
        runId=run,
        fromRun=job.fromRun,
        scanner=current,
        affected=sorted(set(rescan) & digests),
        verified=len(set(restamped) & digests),
    )
    store.put(layout.rescan_plan_key(run), plan.to_json())
    store.put(layout.discovery_key(run), data)  # written last: the run is ready
    log.info(
        "run %s: DB %s: %d of %d digests affected, %d re-stamped",
        run, current.db_updated_at, len(plan.affected), len(digests), plan.verified,
    )  # fmt: skip
    return plan
