"""Retry decisions and delays for registry requests (pure).

A connection error or a 500/502/503/504 is retried with exponential backoff and
jitter; a 429 waits for its `Retry-After` (seconds or an HTTP date, capped), or
backs off like a 5xx when the header is missing or unreadable. After `retries`
extra attempts the last answer stands: the caller raises on it.
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from datetime import UTC
from enum import Enum

RETRY_STATUSES = frozenset({500, 502, 503, 504})
RATE_LIMITED = 429


class Action(Enum):
    ACCEPT = "accept"  # use this response (success, or an error the caller raises)
    BACKOFF = "backoff"  # sleep an exponential, jittered delay, then try again
    RETRY_AFTER = "retry-after"  # sleep what the server asked for, then try again
    GIVE_UP = "give-up"  # connection error and no attempt left


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 4  # extra attempts after the first
    backoff: float = 0.25  # first backoff, doubled per attempt
    max_backoff: float = 8.0
    max_retry_after: float = 60.0


def decide(status: int | None, attempt: int, retries: int) -> Action:
    """What to do after attempt number `attempt` (0-based); `status` None = connection error."""
    left = attempt < retries
    if status is None:
        return Action.BACKOFF if left else Action.GIVE_UP
    if status == RATE_LIMITED and left:
        return Action.RETRY_AFTER
    if status in RETRY_STATUSES and left:
        return Action.BACKOFF
    return Action.ACCEPT


def backoff_delay(attempt: int, policy: RetryPolicy, jitter: float) -> float:
    """Exponential delay, capped, scaled into [50%, 100%] by `jitter` in [0, 1)."""
    delay = min(policy.max_backoff, policy.backoff * (2.0**attempt))
    return delay * (0.5 + jitter / 2)


def retry_after_seconds(header: str | None, now: float) -> float | None:
    """Seconds a `Retry-After` value asks for (>= 0); None when absent or unreadable.

    `now` is the wall-clock time (epoch seconds) an HTTP-date is measured from.
    """
    text = (header or "").strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": UTC by RFC 5322
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def wait_seconds(
    action: Action,
    attempt: int,
    policy: RetryPolicy,
    *,
    retry_after: str | None = None,
    now: float = 0.0,
    jitter: float = 0.5,
) -> float:
    """How long to sleep before the next attempt, for a BACKOFF or RETRY_AFTER action."""
    if action is Action.RETRY_AFTER:
        asked = retry_after_seconds(retry_after, now)
        if asked is not None:
            return min(asked, policy.max_retry_after)
    return backoff_delay(attempt, policy, jitter)
