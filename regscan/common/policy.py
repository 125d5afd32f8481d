"""The policy schema, defined once (pure pydantic models): a Registry's `spec.policy` and
the policy a run's verdicts were made with (`RunIndex.policy`).

Its own module so that `registry` (the CRD) and `reports` (the run index) share it.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class AllowlistEntry(_Model):
    id: str = Field(min_length=1, max_length=128)
    expires: dt.date | None = None


class PolicySpec(_Model):
    failOn: Severity | None = None
    onlyFixable: bool = False
    allowlist: list[AllowlistEntry] = Field(default_factory=list, max_length=1000)
