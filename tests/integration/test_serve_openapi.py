"""`regscan serve` against its own published OpenAPI document, property-based: schemathesis
generates requests (valid and invalid) for every operation of the document and sends them
to the live server on the bench (basic-auth registry, real Trivy with the fixture DB);
every answer must conform to the document (status, content type, headers, body) and, for
the Harbor operations, to the official v1.2 schemas as transcribed independently in
tests/harbor_api/schemas.py. No 5xx but the API's 501 for a MIME type nobody handles."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import strategies as st
from prometheus_client import CONTENT_TYPE_LATEST
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from regscan.common.harbor_api import API_PREFIX
from regscan.serve import mime, openapi
from tests.bench.catalog import ALPINE
from tests.bench.images import build_image
from tests.bench.pusher import Pusher
from tests.bench.serve import TOKEN, Served
from tests.harbor_api.schemas import validate

MAX_EXAMPLES = 100  # per operation: the whole file takes seconds, not minutes
CHECKS = [
    not_a_server_error,
    ignored_auth,  # every /api/v1 operation refuses a missing or wrong token
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
SCAN = API_PREFIX + "/scan"
REPORT = API_PREFIX + "/scan/{scan_request_id}/report"
SCHEMA_OF = {  # (path, status, media type) -> the official schema its body must follow
    (API_PREFIX + "/metadata", 200, mime.METADATA): "ScannerAdapterMetadata",
    (SCAN, 202, mime.SCAN_RESPONSE): "ScanResponse",
    **{(REPORT, 200, m): "HarborVulnerabilityReport" for m in mime.VULN_PRODUCES},
    (REPORT, 200, mime.SBOM): "HarborSbomReport",
}
SEEN: Counter[tuple[str, str, int]] = Counter()  # (method, path, status) of every answer

# The document the live server publishes (the fixture checks they are equal), loaded at
# import so that pytest can list one test per operation. 501 is the API's answer to a
# request for a MIME type no capability handles: allowed only where `asks_unsupported`
# says the request asked for one; every other 5xx fails.
SCHEMA = schemathesis.openapi.from_dict(
    openapi.document(CONTENT_TYPE_LATEST),
    config=SchemathesisConfig.from_dict(
        {
            "auth": {"openapi": {"BearerAuth": {"bearer": TOKEN}}},
            "generation": {
                "mode": "all",  # positive and negative
                "max-examples": MAX_EXAMPLES,
                "with-security-parameters": False,
                "database": "none",  # no example files written; the seed makes runs repeatable
            },
            "checks": {"not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx", "501"]}},
            "seed": 13,
        }
    ),
)


@schemathesis.deserializer(mime.VULN_1_1.partition(";")[0])
def _vulnerability_report(ctx: object, response: schemathesis.Response) -> Any:
    """The 1.1 report type has no +json suffix: without this, schemathesis skips its body."""
    return json.loads(response.content)


def official_schema(path: str, status: int, media_type: str) -> str | None:
    """The tests/harbor_api schema an answer's body must follow (None: not a Harbor body)."""
    if not path.startswith(API_PREFIX) or path == openapi.OPENAPI_PATH:
        return None
    if status >= 400:
        return "ErrorResponse"
    return SCHEMA_OF.get((path, status, media_type))


def _same_type(a: str, b: str) -> bool:
    return mime.normalize(a) == mime.normalize(b)


def asks_unsupported(case: schemathesis.Case[Any]) -> bool:
    """Whether a request asks for a MIME type this server has no capability for (501)."""
    produced = (*mime.VULN_PRODUCES, *mime.SBOM_PRODUCES)
    if case.operation.path == REPORT:
        headers: Any = case.headers or {}
        accept = str(headers.get("Accept", ""))
        offered = [a.strip() for a in accept.split(",") if a.strip()]
        if not offered or any(a.split(";")[0] in ("*/*", "application/*") for a in offered):
            return False
        if any(_same_type(a, v) for a in offered for v in mime.VULN_PRODUCES):
            return False
        if any(_same_type(a, mime.SBOM) for a in offered):
            return (case.query or {}).get("sbom_media_type") == mime.CYCLONEDX
        return True
    body: Any = case.body if isinstance(case.body, dict) else {}
    artifact: Any = body.get("artifact") if isinstance(body.get("artifact"), dict) else {}
    kind = str(artifact.get("mime_type") or mime.OCI_MANIFEST)
    capabilities: Any = body.get("enabled_capabilities")
    asked = [
        str(m)
        for c in (capabilities if isinstance(capabilities, list) else [])
        if isinstance(c, dict)
        for m in (c.get("produces_mime_types") or [])
    ]
    return not any(_same_type(kind, c) for c in mime.CONSUMES) or any(
        not any(_same_type(m, p) for p in produced) for m in asked
    )


@dataclass
class Bench:
    """Real requests for the generator to mix in: ScanRequests for the bench's images, the
    id of a finished scan, and of one posted at the first report request (so that early
    report requests meet it queued or running: 302)."""

    served: Served
    done_id: str
    fresh_body: dict[str, Any]
    _fresh_id: list[str] = field(default_factory=list)

    def fresh_id(self) -> str:
        if not self._fresh_id:
            with self.served.client() as c:
                self._fresh_id.append(c.post(SCAN, json=self.fresh_body).json()["id"])
        return self._fresh_id[0]

    def bodies(self) -> list[dict[str, Any]]:
        return [self.served.scan_request(repository=r) for r in ("team/app", "team/py")]


def wait_done(client: httpx.Client, scan_id: str) -> None:
    for _ in range(300):
        if client.get(f"{SCAN}/{scan_id}/report").status_code != 302:
            return
        time.sleep(0.2)
    raise AssertionError(f"scan {scan_id} still running after 60 s")


@pytest.fixture(scope="module")
def bench(served: Served) -> Bench:
    published = httpx.get(served.url + openapi.OPENAPI_PATH, timeout=10, trust_env=False)
    assert published.status_code == 200  # the document needs no token
    assert published.json() == openapi.document(CONTENT_TYPE_LATEST)
    pusher = Pusher(served.registry.url, auth=served.registry.auth)
    try:  # a Docker v2 manifest: a digest no other test scans
        digest = pusher.push_image("team/openapi", ["1.0"], build_image(ALPINE, docker=True))
    finally:
        pusher.close()
    fresh = served.scan_request(repository="team/openapi", digest=digest)
    fresh["artifact"]["mime_type"] = mime.DOCKER_MANIFEST
    for body in (fresh, served.scan_request(repository="team/app")):
        validate(body, "ScanRequest")  # what the generator mixes in is an official ScanRequest
    with served.client() as c:
        posted = c.post(SCAN, json=served.scan_request(repository="team/py"))
        assert posted.status_code == 202
        wait_done(c, posted.json()["id"])
    return Bench(served, posted.json()["id"], fresh)


def _mix_in_real_requests(case: schemathesis.Case[Any], data: st.DataObject, bench: Bench) -> None:
    if case.operation.path == REPORT:
        choices: list[Callable[[], str]] = [
            lambda: str((case.path_parameters or {}).get("scan_request_id", "")),
            lambda: bench.done_id,
            bench.fresh_id,
        ]
        pick = data.draw(st.sampled_from(choices), label="scan id: generated, done, fresh")
        case.path_parameters = {"scan_request_id": pick()}
    if case.operation.path == SCAN and data.draw(st.booleans(), label="a bench ScanRequest"):
        case.body = data.draw(st.sampled_from(bench.bodies()))


@SCHEMA.parametrize()
@SCHEMA.given(data=st.data())
def test_conformance(case: schemathesis.Case[Any], data: st.DataObject, bench: Bench) -> None:
    _mix_in_real_requests(case, data, bench)
    response = case.call_and_validate(base_url=bench.served.url, checks=CHECKS, timeout=30)
    SEEN[case.method, case.operation.path, response.status_code] += 1
    if response.status_code == 501:
        assert asks_unsupported(case), response.text
    media_type = (response.headers.get("content-type") or [""])[0]
    name = official_schema(case.operation.path, response.status_code, media_type)
    if name is not None:
        validate(response.json(), name)
    if response.status_code == 302:
        assert int(response.headers["refresh-after"][0]) >= 1


def test_generated_requests_reach_real_code(tier_note: Callable[[str, str], None]) -> None:
    """The run above did not stop at the gates: scans were accepted, reports rendered."""
    if not SEEN:
        pytest.skip("runs after test_conformance only")
    reached = {(path, status) for _, path, status in SEEN}
    want = {(SCAN, 202), (SCAN, 400), (SCAN, 422), (REPORT, 200), (REPORT, 404)}
    assert want <= reached, sorted(reached)
    counts = [f"{m} {p.removeprefix(API_PREFIX)} {s}: {n}" for (m, p, s), n in sorted(SEEN.items())]
    total = sum(SEEN.values())
    tier_note(
        "integration", f"schemathesis vs regscan serve: {total} requests ({', '.join(counts)})"
    )


@pytest.mark.parametrize("path", sorted(SCHEMA.raw_schema["paths"]))
def test_undeclared_methods_answer_405_with_allow(bench: Bench, path: str) -> None:
    """Found by schemathesis's coverage phase (`st run`, check unsupported_method): the
    405 of an undeclared method lacked the `Allow` header RFC 9110 requires."""
    declared = {m.upper() for m in SCHEMA.raw_schema["paths"][path]}
    allowed = declared | ({"HEAD"} if "GET" in declared else set())
    with bench.served.client() as c:
        for method in sorted({"GET", "POST", "PUT", "DELETE", "TRACE"} - declared):
            r = c.request(method, path.replace("{scan_request_id}", "x"))
            assert r.status_code == 405 and r.headers["content-type"] == mime.ERROR, method
            assert {m.strip() for m in r.headers["allow"].split(",")} == allowed
            validate(r.json(), "ErrorResponse")
