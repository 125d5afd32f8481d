"""Pure DB-freshness decisions and DB references, as tables."""

from __future__ import annotations

import pytest

from job_images.scanning.dbfreshness import DBAction, decide, record, recorded_digest
from regscan.common.dbref import DBRef, db_refs, parse_db_ref, plain_http
from regscan.common.errors import InvalidInput

D1, D2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64


@pytest.mark.parametrize(
    ("has_db", "recorded", "remote", "skip", "expected"),
    [
        (True, D1, D1, False, DBAction.USE),  # mirror unchanged: no download at all
        (True, D1, D2, False, DBAction.FETCH),  # new DB in the mirror, NextUpdate ignored
        (True, None, D1, False, DBAction.FETCH),  # a DB regscan did not fetch: replace it
        (False, None, D1, False, DBAction.FETCH),  # empty cache
        (False, D1, D1, False, DBAction.FETCH),  # record without the DB file
        (True, D1, None, False, DBAction.TRIVY),  # mirror silent: Trivy's NextUpdate rule
        (False, None, None, False, DBAction.TRIVY),
        (True, D1, D2, True, DBAction.USE),  # --skip-db-update wins
    ],
)
def test_decide(
    has_db: bool, recorded: str | None, remote: str | None, skip: bool, expected: DBAction
) -> None:
    assert decide(has_db=has_db, recorded=recorded, remote=remote, skip_update=skip) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ghcr.io/aquasecurity/trivy-db:2", DBRef("ghcr.io", "aquasecurity/trivy-db", "2")),
        ("ghcr.io/aquasecurity/trivy-db", DBRef("ghcr.io", "aquasecurity/trivy-db", "2")),
        ("127.0.0.1:5000/mirror/trivy-db:3", DBRef("127.0.0.1:5000", "mirror/trivy-db", "3")),
        ("localhost/db", DBRef("localhost", "db", "2")),
        (" reg.example:443/a/b/c:latest ", DBRef("reg.example:443", "a/b/c", "latest")),
    ],
)
def test_parse_db_ref(text: str, expected: DBRef) -> None:
    assert parse_db_ref(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("https://ghcr.io/x", "no scheme"),
        ("ghcr.io/x@sha256:" + "0" * 64, "digest"),
        ("trivy-db", "registry host"),
        ("aquasec/trivy-db", "registry host"),
        ("ghcr.io/", "registry host"),
        ("ghcr.io/UP", "not a valid"),
        ("ghcr.io/x:-bad", "not a valid"),
    ],
)
def test_parse_db_ref_refuses(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_db_ref(text)
    assert err.value.field == "db-repository" and fragment in str(err.value)


def test_db_refs_default_and_list() -> None:
    assert [str(r) for r in db_refs(None)] == [
        "mirror.gcr.io/aquasec/trivy-db:2",
        "ghcr.io/aquasecurity/trivy-db:2",
    ]
    assert [str(r) for r in db_refs("a.io/x, b.io/y:7")] == ["a.io/x:2", "b.io/y:7"]


@pytest.mark.parametrize(
    ("registry", "http"),
    [
        ("localhost:5000", True),
        ("127.0.0.1:5000", True),
        ("10.1.2.3", True),
        ("192.168.1.9:443", True),
        ("[::1]:5000", True),
        ("ghcr.io", False),
        ("8.8.8.8:5000", False),
        ("registry.local", True),
    ],
)
def test_plain_http_like_go_containerregistry(registry: str, http: bool) -> None:
    assert plain_http(registry) is http


def test_record_round_trip_and_garbage() -> None:
    ref = DBRef("ghcr.io", "aquasecurity/trivy-db", "2")
    assert recorded_digest(record(ref, D1)) == D1
    for text in (None, "", "not json", "[]", '{"digest": 5}', '{"digest": "md5:x"}'):
        assert recorded_digest(text) is None
