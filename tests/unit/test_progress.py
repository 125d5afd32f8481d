"""Progress: the counts and line (pure), the text, JSON and quiet displays, and the events
the discovery run and the scan pipeline send."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

import pytest

from job_images.discovery.run import DiscoverySpec, RepositorySelector, discover
from job_images.scanning.adapters.base import AdapterError
from job_images.scanning.pipeline import ScanOptions, scan_images
from regscan.cli.progress import JsonDisplay, TextDisplay, open_display
from regscan.common import progress as ev
from tests.unit.fake_registry import FakeRegistry
from tests.unit.fake_scanner import NOW, D, FakeScanner, entry, make_adapter


def test_counts_line_leaves_out_phases_not_started() -> None:
    c = ev.Counts()
    assert c.line(5) == "0:05 elapsed"
    c.add(ev.REPOSITORIES, 3)
    c.add(ev.TAGS, 40)
    c.add(ev.RESOLVED, 12)
    assert c.line(65) == "discovering (3 repositories, 12/40 tags resolved); 1:05 elapsed"
    c.add(ev.IMAGES, 30)
    c.add(ev.DIGESTS, 12)
    for event, n in ((ev.SCANNED, 4), (ev.REUSED, 6), (ev.FAILED, 1)):
        c.add(event, n)
    assert c.done == 11
    assert c.line(3600) == (
        "discovered 30 images (3 repositories, 12/40 tags resolved); "
        "scanned 4, reused 6, failed 1 of 12 digests; 60:00 elapsed"
    )


def test_text_display_writes_every_n_images_and_at_the_end() -> None:
    out = io.StringIO()
    with TextDisplay(out, every=5, interval=3600) as display:
        display(ev.DIGESTS, 12)
        for _ in range(12):
            display(ev.SCANNED, 1)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3  # at 5, at 10, and the final line
    assert all(line.startswith("progress: ") for line in lines)
    assert "scanned 12, reused 0, failed 0 of 12 digests" in lines[-1]


def test_text_display_ticks_while_nothing_happens() -> None:
    out = io.StringIO()
    display = TextDisplay(out, every=1000, interval=0.05)
    display(ev.DIGESTS, 1)
    done = threading.Event()
    done.wait(0.3)
    display.close()
    assert len(out.getvalue().splitlines()) >= 3


def test_json_display_one_line_per_event() -> None:
    out = io.StringIO()
    with JsonDisplay(out) as display:
        display(ev.TAGS, 3)  # discovery detail: not a line of its own
        display(ev.IMAGES, 2)
        display(ev.DIGESTS, 2)
        display(ev.SCANNED, 1)
        display(ev.FAILED, 1)
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [e["event"] for e in events] == ["images", "digests", "scanned", "failed"]
    assert events[-1]["counts"]["scanned"] == 1 and events[-1]["counts"]["failed"] == 1
    assert all(e["time"].endswith("Z") for e in events)


@pytest.mark.parametrize("mode", ["quiet", "auto"])
def test_quiet_and_non_terminal_auto(mode: str) -> None:
    out = io.StringIO()  # not a terminal: auto = text
    with open_display(mode, out) as display:
        display(ev.DIGESTS, 1)
        display(ev.SCANNED, 1)
    assert (out.getvalue() == "") is (mode == "quiet")


def test_rich_display_on_a_terminal_stream() -> None:
    out = io.StringIO()
    with open_display("rich", out) as display:
        display(ev.REPOSITORIES, 1)
        display(ev.TAGS, 2)
        display(ev.RESOLVED, 2)
        display(ev.IMAGES, 2)
        display(ev.DIGESTS, 2)
        display(ev.REUSED, 2)
    text = out.getvalue()
    assert "discovered 2 images in 1 repositories" in text
    assert "reused 2" in text and "2/2" in text


def test_discovery_and_scan_send_their_events(tmp_path: Path) -> None:
    fake = FakeRegistry()
    fake.image("team-a/app", ["v1", "v2"], salt="a-app")
    fake.image("team-a/db", ["v1"], salt="a-db")
    counts = ev.Counts()
    spec = DiscoverySpec("http://fake.example:5000", [RepositorySelector("team-a/*")])
    found = discover(spec, client=fake, progress=counts.add)
    assert (counts[ev.REPOSITORIES], counts[ev.TAGS], counts[ev.RESOLVED]) == (2, 3, 3)
    assert counts[ev.IMAGES] == len(found.images) > 0

    scanner = FakeScanner({})
    scanner.failures = {D[1]: [AdapterError("crash", can_retry=False)]}
    adapter, store = make_adapter(tmp_path, scanner)
    images = [entry(D[0], "app", "v1"), entry(D[0], "mirror", "v1"), entry(D[1], "app", "v2")]
    counts = ev.Counts()
    options = ScanOptions("run-1", "http://reg:5000", retries=0)
    scan_images(images, adapter, store, None, options, now=lambda: NOW, progress=counts.add)
    assert (counts[ev.DIGESTS], counts[ev.SCANNED], counts[ev.FAILED]) == (2, 1, 1)
    counts = ev.Counts()
    scan_images(images[:1], adapter, store, None, options, now=lambda: NOW, progress=counts.add)
    assert (counts[ev.DIGESTS], counts[ev.REUSED]) == (1, 1)


def test_rich_display_clears_itself_when_the_work_fails() -> None:
    out = io.StringIO()
    with pytest.raises(RuntimeError), open_display("rich", out) as display:
        display(ev.REPOSITORIES, 1)
        raise RuntimeError("refused")
    assert "discovering" not in out.getvalue()  # the error line stands alone
