"""Fixtures of the image tier: a container engine, and the two images built once a session.

The tier skips, naming the reason, when no engine answers (`tests/image/engine.sh` installs
and starts Debian's docker.io as root) or no base image can be had; a failing build of
job_images/Dockerfile fails it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.bench import engine

JOB_TAG, CONTROLLER_TAG = "regscan:test", "regscan-controller:test"
MB = 1_000_000


@dataclass(frozen=True)
class Images:
    job: engine.Built
    controller: engine.Built


@pytest.fixture(scope="session")
def images(tier_note: Callable[[str, str], None]) -> Images:
    problem = engine.engine_problem()
    if problem:
        pytest.skip(f"image tier: {problem}")
    log: list[str] = []
    try:
        base = engine.base_image(log)
    except engine.EngineError as exc:
        pytest.skip(f"image tier: no base image to build on: {exc}")
    for line in log:
        tier_note("image", line)
    job = engine.build(JOB_TAG, "job", base)  # the legacy builder builds every stage
    controller = engine.build(CONTROLLER_TAG, "controller", base)
    tier_note(
        "image", f"build on {base}: job {job.seconds:.0f}s, controller {controller.seconds:.0f}s"
    )
    for built in (job, controller):
        tier_note(
            "image",
            f"{built.tag}: {built.size / MB:.0f} MB "
            f"(base {built.base_size / MB:.0f} MB + {(built.size - built.base_size) / MB:.0f} MB)",
        )
    return Images(job, controller)
