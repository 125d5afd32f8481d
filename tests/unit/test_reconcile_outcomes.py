"""Pure failure path and typed run outcomes: what the loop applies when a plan fails, and
which Events end a run (the metrics are keyed on these outcomes)."""

from __future__ import annotations

import pytest

from controller.core import reasons
from controller.core.observed import JobObs, Observed
from controller.core.reasons import RunOutcome
from controller.core.reconcile import on_failure, reconcile
from tests.unit.reconcile_tables import NOW, SETTINGS, cond, discovered_run, lbl, reg


def test_on_failure_sets_degraded_reconcile_error_and_nothing_else() -> None:
    plan = on_failure(reg(), "KubeError: 503 Service Unavailable", NOW)
    assert plan.status is not None
    degraded = cond(plan.status, reasons.DEGRADED)
    assert (degraded["status"], degraded["reason"]) == ("True", reasons.RECONCILE_ERROR)
    assert degraded["message"] == "KubeError: 503 Service Unavailable"
    assert not plan.apply and not plan.delete and not plan.put_objects and not plan.events


def test_a_reconcile_error_clears_on_the_next_good_tick() -> None:
    failed = on_failure(reg(), "boom", NOW)
    assert failed.status is not None
    plan = reconcile(Observed(registries=[reg(status=failed.status)]), SETTINGS, NOW)
    ((_, _, status),) = plan.status
    degraded = cond(status, reasons.DEGRADED)
    assert (degraded["status"], degraded["reason"]) == ("False", reasons.RECOVERED)
    assert cond(status, reasons.READY)["status"] == "True"


def test_on_failure_without_a_change_patches_nothing() -> None:
    first = on_failure(reg(), "boom", NOW)
    again = on_failure(reg(status=first.status), "boom", NOW)
    assert again.status is None


@pytest.mark.parametrize(
    ("job", "outcomes"),
    [
        (None, [RunOutcome.FINISHED, RunOutcome.SKIPPED]),  # nothing to scan: done at once
        (
            JobObs("rs-scan-run-1", lbl("scan", **{"regscan.dev/run-id": "run-1"}), succeeded=True),
            [RunOutcome.FINISHED],
        ),
        (
            JobObs(
                "rs-scan-run-1",
                lbl("scan", **{"regscan.dev/run-id": "run-1"}),
                failed=True,
                failed_indexes="0",
            ),
            [RunOutcome.FAILED],
        ),
    ],
)
def test_run_end_events_carry_a_typed_outcome(
    job: JobObs | None, outcomes: list[RunOutcome]
) -> None:
    disc = JobObs("run-1", lbl("discovery"), succeeded=True)
    data = discovered_run(2 if job is not None else 0)
    obs = Observed(registries=[reg()], jobs=[disc, *([job] if job else [])], runs={"run-1": data})
    plan = reconcile(obs, SETTINGS, NOW)
    assert [e.outcome for e in plan.events if e.outcome is not None] == outcomes
