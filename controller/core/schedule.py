"""Cron schedules with croniter, `now` injected (pure)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from croniter import croniter

from regscan.common.errors import InvalidInput

ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


@lru_cache(maxsize=1024)  # pure; every tick checks every Registry's schedule
def normalize(schedule: str) -> str:
    """The 5-field form Kubernetes CronJobs accept; InvalidInput names `spec.schedule`."""
    text = " ".join(schedule.split())
    text = ALIASES.get(text.lower(), text)
    if len(text.split()) != 5:
        raise InvalidInput("spec.schedule", f"{schedule!r} must have 5 fields or be an @alias")
    if not croniter.is_valid(text):
        raise InvalidInput("spec.schedule", f"{schedule!r} is not a valid cron expression")
    return text


def next_time(schedule: str, now: dt.datetime) -> dt.datetime:
    it = croniter(normalize(schedule), now)
    value = it.get_next(dt.datetime)
    assert isinstance(value, dt.datetime)
    return value
