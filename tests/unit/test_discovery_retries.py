"""Tables for the client's pure decisions: retries, backoff, Retry-After, the auth cache."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from job_images.credentials import Credentials
from job_images.discovery.auth import Challenge
from job_images.discovery.options import ClientOptions
from job_images.discovery.retries import (
    Action,
    RetryPolicy,
    backoff_delay,
    decide,
    retry_after_seconds,
    wait_seconds,
)
from job_images.discovery.tokens import (
    AuthCache,
    basic_header,
    parse_token_response,
    token_params,
)

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC).timestamp()
POLICY = RetryPolicy(retries=3, backoff=0.25, max_backoff=1.0, max_retry_after=30.0)


@pytest.mark.parametrize(
    ("status", "attempt", "action"),
    [
        (200, 0, Action.ACCEPT),
        (404, 0, Action.ACCEPT),
        (401, 0, Action.ACCEPT),  # auth is the client's business, not a retry
        (403, 0, Action.ACCEPT),
        (501, 0, Action.ACCEPT),  # not implemented: retrying will not help
        (500, 0, Action.BACKOFF),
        (502, 1, Action.BACKOFF),
        (503, 2, Action.BACKOFF),
        (504, 3, Action.ACCEPT),  # retries used up: the caller raises on it
        (429, 0, Action.RETRY_AFTER),
        (429, 3, Action.ACCEPT),
        (None, 0, Action.BACKOFF),  # connection error
        (None, 2, Action.BACKOFF),
        (None, 3, Action.GIVE_UP),
    ],
)
def test_decide(status: int | None, attempt: int, action: Action) -> None:
    assert decide(status, attempt, POLICY.retries) is action


def test_no_retries_means_one_attempt() -> None:
    assert decide(503, 0, 0) is Action.ACCEPT
    assert decide(None, 0, 0) is Action.GIVE_UP


def test_attempts_until_giving_up() -> None:
    attempts = 1
    while decide(503, attempts - 1, POLICY.retries) is Action.BACKOFF:
        attempts += 1
    assert attempts == 1 + POLICY.retries


@pytest.mark.parametrize(
    ("attempt", "jitter", "delay"),
    [
        (0, 0.0, 0.125),  # half of 0.25 at the lowest jitter
        (0, 1.0, 0.25),
        (1, 1.0, 0.5),
        (2, 1.0, 1.0),
        (3, 1.0, 1.0),  # capped at max_backoff
        (10, 0.5, 0.75),
    ],
)
def test_backoff_delay(attempt: int, jitter: float, delay: float) -> None:
    assert backoff_delay(attempt, POLICY, jitter) == pytest.approx(delay)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("3", 3.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        (format_datetime(datetime(2024, 5, 1, 12, 0, 12, tzinfo=UTC), usegmt=True), 12.0),
        ("Wed, 01 May 2024 12:00:05 -0000", 5.0),
        ("Wed, 01 May 2024 11:00:00 GMT", 0.0),  # in the past: no wait
        ("", None),
        (None, None),
        ("soon", None),
        ("-1", None),
        ("1.5", None),
    ],
)
def test_retry_after_seconds(header: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(header, NOW) == seconds


@pytest.mark.parametrize(
    ("action", "header", "delay"),
    [
        (Action.RETRY_AFTER, "2", 2.0),
        (Action.RETRY_AFTER, "3600", 30.0),  # capped at max_retry_after
        (Action.RETRY_AFTER, None, 0.25),  # no header: backoff (jitter 1.0)
        (Action.RETRY_AFTER, "later", 0.25),
        (Action.BACKOFF, "2", 0.25),  # a 5xx's Retry-After is not used
    ],
)
def test_wait_seconds(action: Action, header: str | None, delay: float) -> None:
    got = wait_seconds(action, 0, POLICY, retry_after=header, now=NOW, jitter=1.0)
    assert got == pytest.approx(delay)


def test_client_options_retry_policy() -> None:
    options = ClientOptions(retries=2, backoff=0.01, max_backoff=0.05, max_retry_after=9.0)
    assert options.retry_policy == RetryPolicy(2, 0.01, 0.05, 9.0)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


CREDS = Credentials("alice", "s3cret")


def test_auth_cache_tokens_per_scope_until_expiry() -> None:
    clock = Clock()
    cache = AuthCache(CREDS, clock)
    assert cache.header("repository:a:pull") == {}
    cache.store("repository:a:pull", "tok-a", expires_in=60)
    assert cache.header("repository:a:pull") == {"Authorization": "Bearer tok-a"}
    assert cache.header("repository:b:pull") == {}  # another scope needs its own token
    clock.now += 54.9
    assert cache.header("repository:a:pull") == {"Authorization": "Bearer tok-a"}
    clock.now += 0.2  # 5 s before expires_in: refreshed early
    assert cache.header("repository:a:pull") == {}


def test_auth_cache_short_lived_token_lives_at_least_a_second() -> None:
    clock = Clock()
    cache = AuthCache(None, clock)
    cache.store("", "tok", expires_in=2)
    clock.now += 0.9
    assert cache.header("") == {"Authorization": "Bearer tok"}
    clock.now += 0.2
    assert cache.header("") == {}


def test_auth_cache_basic_after_a_basic_challenge() -> None:
    cache = AuthCache(CREDS, Clock())
    assert cache.header("") == {}  # anonymous until challenged
    assert cache.use_basic() is True
    assert cache.header("any") == {"Authorization": basic_header(CREDS)}
    assert basic_header(CREDS) == "Basic YWxpY2U6czNjcmV0"
    assert AuthCache(None, Clock()).use_basic() is False  # nothing to send


def test_auth_cache_is_safe_from_threads() -> None:
    cache = AuthCache(None, Clock())

    def work(i: int) -> None:
        for j in range(200):
            cache.store(f"s{i}-{j}", f"t{i}-{j}", 60)
            assert cache.header(f"s{i}-{j}") == {"Authorization": f"Bearer t{i}-{j}"}

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.header("s3-199") == {"Authorization": "Bearer t3-199"}


PULL_A, CATALOG = "repository:a:pull", "registry:catalog:*"


@pytest.mark.parametrize(
    ("params", "scope", "expected"),
    [
        ({"realm": "r", "service": "reg"}, PULL_A, {"service": "reg", "scope": PULL_A}),
        (
            {"realm": "r", "service": "reg", "scope": CATALOG},
            "x",
            {"service": "reg", "scope": CATALOG},
        ),
        ({"realm": "r"}, "", {"service": ""}),
    ],
)
def test_token_params(params: dict[str, str], scope: str, expected: dict[str, str]) -> None:
    assert token_params(Challenge("bearer", params), scope) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"token": "t", "expires_in": 300}, ("t", 300.0)),
        ({"access_token": "a"}, ("a", 60.0)),
        ({"token": "", "access_token": "a", "expires_in": "30"}, ("a", 30.0)),
        ({"token": "t", "expires_in": None}, ("t", 60.0)),
    ],
)
def test_parse_token_response(body: object, expected: tuple[str, float]) -> None:
    assert parse_token_response(body) == expected


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ([], "not a JSON object"),
        ({}, "no token"),
        ({"token": ""}, "no token"),
        ({"token": "secret-value", "expires_in": "soon"}, "expires_in"),
    ],
)
def test_parse_token_response_refuses(body: object, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment) as err:
        parse_token_response(body)
    assert "secret-value" not in str(err.value)
