"""`regscan serve` options: every bad value exits 2 naming the option, before any work."""

from __future__ import annotations

import pytest

from regscan.cli.main import build_parser
from regscan.cli.serve import ServeOptions
from regscan.common.errors import InvalidInput


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["--listen", "nope"], "listen"),
        (["--listen", ":8080"], "listen"),
        (["--listen", "127.0.0.1:99999"], "listen"),
        (["--listen", "127.0.0.1:http"], "listen"),
        (["--workers", "0"], "workers"),
        (["--workers", "65"], "workers"),
        (["--queue-limit", "0"], "queue-limit"),
        (["--scan-timeout", "0"], "scan-timeout"),
        (["--refresh-after", "0"], "refresh-after"),
    ],
)
def test_bad_options(argv: list[str], field: str) -> None:
    args = build_parser().parse_args(["serve", *argv])
    with pytest.raises(InvalidInput) as info:
        ServeOptions.from_args(args)
    assert info.value.field == field


def test_defaults_and_token_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGSCAN_API_TOKEN", "t0k")
    options = ServeOptions.from_args(build_parser().parse_args(["serve"]))
    assert (options.host, options.port, options.token) == ("127.0.0.1", 8080, "t0k")
    assert (options.queue_limit, options.refresh_after, options.scanner.parallel) == (100, 5, 2)
    assert options.scanner.long_lived  # its trivy server's layer cache on disk, not the heap
    monkeypatch.delenv("REGSCAN_API_TOKEN")
    assert ServeOptions.from_args(build_parser().parse_args(["serve"])).token is None
