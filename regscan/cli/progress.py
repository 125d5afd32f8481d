"""Showing progress and logs (does I/O: writes to stderr, a ticker thread, `rich`).

`open_display(mode)` returns a context manager that is also a `Notify` callable:
- `rich`: a live display on a terminal (discovery and scan bars, counts, elapsed time);
- `text`: one concise line every `every` images or `interval` seconds (CI logs, pipes);
- `json`: one JSON line per event, for pod logs (`regscan job … --log-format json`);
- `quiet`: nothing (`-q`).
The counting and the line itself are pure (`regscan.common.progress.Counts`).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from types import TracebackType
from typing import IO, Any

from regscan.common import progress as ev
from regscan.common.timeutil import iso, utcnow

MODES = ("auto", "rich", "text", "json", "quiet")


class Display:
    """Counts events from any thread; subclasses show them."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self.counts = ev.Counts()
        self.started = time.monotonic()
        self.lock = threading.Lock()
        self.closed = False
        self.aborted = False  # left by an exception: its one-line error says it all

    def __call__(self, event: str, n: int = 1) -> None:
        with self.lock:
            self.counts.add(event, n)
            self.shown(event, n)

    def shown(self, event: str, n: int) -> None:
        """Called under the lock after each event."""

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def __enter__(self) -> Display:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.aborted = kind is not None
        self.close()

    def close(self) -> None:
        """Stop showing (the final state stays on screen for the live display); once."""
        if not self.closed:
            self.closed = True
            self._close()

    def _close(self) -> None:
        pass


class TextDisplay(Display):
    def __init__(self, stream: IO[str] | None = None, every: int = 50, interval: float = 10.0):
        super().__init__(stream)
        self.every = every
        self.last_done = 0
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, args=(interval,), daemon=True)
        self._ticker.start()

    def _write(self) -> None:
        self.stream.write(f"progress: {self.counts.line(self.elapsed())}\n")
        self.stream.flush()

    def _tick(self, interval: float) -> None:
        while not self._stop.wait(interval):
            with self.lock:
                self._write()

    def shown(self, event: str, n: int) -> None:
        if self.counts.done - self.last_done >= self.every:
            self.last_done = self.counts.done
            self._write()

    def _close(self) -> None:
        self._stop.set()
        with self.lock:
            if any(self.counts.values.values()):
                self._write()


class JsonDisplay(Display):
    """One JSON object per line: the event, how many, and the running counts."""

    def shown(self, event: str, n: int) -> None:
        if event in (ev.TAGS, ev.RESOLVED, ev.REPOSITORIES):
            return  # discovery's per-request detail; its totals arrive with `images`
        line = {"time": iso(utcnow()), "event": event, "n": n, "counts": dict(self.counts.values)}
        self.stream.write(json.dumps(line, separators=(",", ":")) + "\n")
        self.stream.flush()


class RichDisplay(Display):
    """A live display on a terminal: a discovery bar (tags) and a scan bar (digests)."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        super().__init__(stream)
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.live = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(file=self.stream),
            transient=False,
        )
        self.discovery = self.live.add_task("discovery", total=None)
        self.scan: Any = None
        self.live.start()

    def shown(self, event: str, n: int) -> None:
        c = self.counts
        self.live.update(
            self.discovery,
            total=c[ev.TAGS] or None,
            completed=c[ev.RESOLVED],
            description=f"discovered {c[ev.IMAGES]} images in {c[ev.REPOSITORIES]} repositories"
            if c[ev.IMAGES]
            else f"discovering: {c[ev.REPOSITORIES]} repositories, tags",
        )
        if c[ev.DIGESTS]:
            text = f"scanned {c[ev.SCANNED]}  reused {c[ev.REUSED]}  failed {c[ev.FAILED]}"
            if self.scan is None:
                self.scan = self.live.add_task(text, total=c[ev.DIGESTS])
            self.live.update(self.scan, completed=c.done, total=c[ev.DIGESTS], description=text)

    def _close(self) -> None:
        if self.aborted:
            for task in list(self.live.task_ids):
                self.live.remove_task(task)
        self.live.stop()


def open_display(mode: str, stream: IO[str] | None = None) -> Display:
    """`auto` = `rich` when the stream is a terminal, else `text`."""
    out = stream or sys.stderr
    if mode == "auto":
        mode = "rich" if out.isatty() else "text"
    if mode == "rich":
        return RichDisplay(out)
    if mode == "text":
        return TextDisplay(out)
    if mode == "json":
        return JsonDisplay(out)
    return Display(out)


class JsonLogFormatter(logging.Formatter):
    """Log records as one JSON line each (pod logs)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": iso(utcnow()),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, separators=(",", ":"))
