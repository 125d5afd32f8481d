"""Scan jobs of `regscan serve`: states, transitions and what a report request gets (pure).

queued → running → done | failed; a job answered from the store starts `done`. Jobs
live in the server's memory only: after a restart an id is unknown (404) and Harbor
sends the scan again, which the store then answers at once when the report is current.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from job_images.scanning.scanner import ImageRef


class State(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


_NEXT = {
    State.QUEUED: {State.RUNNING, State.FAILED},
    State.RUNNING: {State.DONE, State.FAILED},
    State.DONE: set(),
    State.FAILED: set(),
}


@dataclass(frozen=True)
class Job:
    id: str
    image: ImageRef
    state: State = State.QUEUED
    error: str = ""  # one line, for a failed job
    from_store: bool = False


class BadTransition(ValueError):
    pass


def advance(job: Job, to: State, error: str = "") -> Job:
    """The job in state `to`; a move the state machine does not allow raises."""
    if to not in _NEXT[job.state]:
        raise BadTransition(f"job {job.id}: {job.state.value} → {to.value}")
    return replace(job, state=to, error=error if to is State.FAILED else "")


@dataclass(frozen=True)
class Answer:
    """What GET /scan/{id}/report answers before any report is rendered."""

    status: int  # 200 render, 302 retry later, 404 unknown, 500 failed
    message: str = ""
    refresh_after: int = 0


def report_answer(job: Job | None, refresh_after: int) -> Answer:
    if job is None:
        return Answer(404, "unknown scan request id; send the scan request again")
    if job.state in (State.QUEUED, State.RUNNING):
        return Answer(302, refresh_after=refresh_after)
    if job.state is State.FAILED:
        return Answer(500, job.error or "scan failed")
    return Answer(200)


def admit(in_flight: int, capacity: int) -> int:
    """202 while fewer than `capacity` (workers + queue limit) scans are in flight, else
    429 (Harbor retries it later)."""
    return 202 if in_flight < capacity else 429
