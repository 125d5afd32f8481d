"""Results are as readable as the umask allows; credentials' temp files stay 0600
(real FilesystemStore and docker-config writer in a temp folder)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from job_images.credentials import Credentials
from job_images.docker_config import write_docker_config
from job_images.store.backends import FilesystemStore
from regscan.common import layout

DIGEST = "sha256:" + "a" * 64


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


@pytest.mark.usefixtures("umask")
@pytest.mark.parametrize(
    ("mask", "file_mode", "dir_mode"),
    [
        (0o022, 0o644, 0o755),  # the usual: teammates and CI read results
        (0o002, 0o664, 0o775),  # group-writable setups
        (0o077, 0o600, 0o700),  # a private umask stays private
        (0o000, 0o666, 0o777),
    ],
)
def test_results_follow_the_umask(tmp_path: Path, mask: int, file_mode: int, dir_mode: int) -> None:
    os.umask(mask)
    store = FilesystemStore(tmp_path / "out")
    key = layout.report_key(DIGEST)
    store.put(key, b"{}")
    store.put(key, b"{}")  # a rewrite (rename over) keeps the mode
    assert stat.S_IMODE((tmp_path / "out" / key).stat().st_mode) == file_mode
    assert stat.S_IMODE((tmp_path / "out" / "reports" / "sha256").stat().st_mode) == dir_mode


@pytest.mark.usefixtures("umask")
@pytest.mark.parametrize("mask", [0o000, 0o022])
def test_credentials_file_stays_0600_whatever_the_umask(tmp_path: Path, mask: int) -> None:
    os.umask(mask)
    file = write_docker_config(tmp_path / "cfg", "reg:5000", Credentials("alice", "s3cret"))
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE(file.parent.stat().st_mode) == 0o700
