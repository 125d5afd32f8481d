"""A replay of the reference Harbor scanner adapter's recorded answers
(tests/harbor_api/reference_trivy/): one scenario's steps served in order on 127.0.0.1, sent
the way its Go net/http server sends them (does network I/O: http.server in a thread).

Each request must be the scenario's next step: method, path, the exact `Accept` string the
reference parses (anything else gets its 415), the query; a POST /scan body must be one the
reference would decode and accept (pkg/http/api/v1/handler.go:88-201). Anything else is kept
in `mismatches` and answered 500 `replay mismatch: …`, so a test fails saying what differed.
GET /api/v1/metadata is answered at any time.

What net/http adds to the handler's headers is added here too: `Date`, and `Content-Length`
(0 for the bodiless 302) or, for a body over 2048 bytes (its buffer before chunking),
`Transfer-Encoding: chunked`. Bodies are encoding/json Encoder output: compact, `<`, `>`
and `&` escaped, one trailing newline.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).resolve().parents[1] / "harbor_api" / "reference_trivy"
GO_CHUNKING = 2048  # net/http's bufferBeforeChunkingSize
VULN_1_1 = "application/vnd.security.vulnerability.report; version=1.1"
SBOM = "application/vnd.security.sbom.report+json; version=1.0"
PARSED_MIME_TYPES = ("", "*/*", VULN_1_1, SBOM)  # base_handler.go:101-115, exact strings
SBOM_MEDIA_TYPES = ("application/spdx+json", "application/vnd.cyclonedx+json")


def go_json(doc: Any) -> bytes:
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return (text + "\n").encode()


def reference_refusal(body: bytes) -> str:
    """Why the reference would refuse this ScanRequest ("" when it accepts it)."""
    try:
        doc = json.loads(body)
    except ValueError:
        return "400: not JSON"
    if not isinstance(doc, dict):
        return "400: not an object"
    registry, artifact = doc.get("registry") or {}, doc.get("artifact") or {}
    for cap in doc.get("enabled_capabilities") or []:
        produced = cap.get("produces_mime_types") or []
        if any(m not in PARSED_MIME_TYPES for m in produced):
            return f"400: unsupported mime type in {produced}"
        if not produced:
            return "400: enabled_capabilities.produces_mime_types is missing"
        if cap.get("type") not in ("vulnerability", "sbom"):
            return "422: invalid scan type"
        media = (cap.get("parameters") or {}).get("sbom_media_types") or []
        if cap["type"] == "sbom" and (not media or any(m not in SBOM_MEDIA_TYPES for m in media)):
            return f"422: SBOM media types {media}"
    url = registry.get("url") or ""
    if not url or not (urlsplit(url).scheme or url.startswith("/")):
        return f"422: registry.url {url!r}"
    if not artifact.get("repository") or not artifact.get("digest"):
        return "422: missing artifact.repository or artifact.digest"
    return ""


@dataclass(frozen=True)
class Seen:
    at: float  # time.monotonic()
    method: str
    path: str  # with the query
    headers: dict[str, str]
    body: bytes


@dataclass
class _State:
    steps: list[dict[str, Any]]
    responses: dict[str, dict[str, Any]]
    metadata: str
    seen: list[Seen] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    artifact: dict[str, Any] = field(default_factory=dict)  # of the last POSTed request
    lock: threading.Lock = field(default_factory=threading.Lock)


def load(scenario: str, fixtures: Path = FIXTURES) -> _State:
    recorded = json.loads((fixtures / "responses.json").read_text())
    steps = json.loads((fixtures / "scenarios.json").read_text())["scenarios"][scenario]["steps"]
    return _State(list(steps), recorded["responses"], recorded["metadata_response"])


def _body(state: _State, name: str, fixtures: Path) -> bytes:
    response = state.responses[name]
    if "json" not in response:
        return b""
    doc = dict(response["json"])
    if response.get("artifact_from_request"):  # transformer.go:48, harbor.Artifact's fields
        a = state.artifact
        doc["artifact"] = {"repository": a.get("repository", ""), "digest": a.get("digest", "")}
        if a.get("mime_type"):
            doc["artifact"]["mime_type"] = a["mime_type"]
    if isinstance(doc.get("sbom"), dict) and "$file" in doc["sbom"]:
        doc["sbom"] = json.loads((fixtures / doc["sbom"]["$file"]).read_text())
    return go_json(doc)


def _matches(step: dict[str, Any], method: str, path: str, headers: dict[str, str]) -> str:
    want = step["request"]
    where = urlsplit(path)
    query = {k: v[0] for k, v in parse_qs(where.query).items()}
    if (method, where.path) != (want["method"], want["path"]):
        return f"expected {want['method']} {want['path']}, got {method} {where.path}"
    if "accept" in want and headers.get("accept", "") != want["accept"]:
        return f"Accept {headers.get('accept')!r}: the reference answers 415 to all but exact types"
    if query != want.get("query", {}):
        return f"query {query}, expected {want.get('query', {})}"
    return ""


class ReplayServer:
    def __init__(self, scenario: str, fixtures: Path = FIXTURES) -> None:
        self.state = state = load(scenario, fixtures)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                with state.lock:
                    state.seen.append(Seen(time.monotonic(), method, self.path, headers, body))
                    name, problem = self._step(method, headers, body)
                    payload = _body(state, name, fixtures) if name else b""
                if problem:
                    state.mismatches.append(f"{method} {self.path}: {problem}")
                    self._send(500, {"Content-Type": "text/plain"}, f"replay mismatch: {problem}")
                    return
                response = state.responses[name]
                extra = {
                    k: v.replace("{request_uri}", self.path)
                    for k, v in response.get("headers", {}).items()
                }
                self._send(response["status"], extra, payload)

            def _step(self, method: str, headers: dict[str, str], body: bytes) -> tuple[str, str]:
                if (method, urlsplit(self.path).path) == ("GET", "/api/v1/metadata"):
                    return state.metadata, ""
                if not state.steps:
                    return "", "no step left in the scenario"
                problem = _matches(state.steps[0], method, self.path, headers)
                if not problem and method == "POST":
                    problem = reference_refusal(body)
                    if not problem:
                        state.artifact = json.loads(body).get("artifact") or {}
                if problem:
                    return "", problem
                return str(state.steps.pop(0)["response"]), ""

            def _send(self, status: int, headers: dict[str, str], body: bytes | str) -> None:
                data = body.encode() if isinstance(body, str) else body
                self.send_response_only(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Date", formatdate(usegmt=True))
                if len(data) > GO_CHUNKING:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(data), data))
                else:
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def seen(self) -> list[Seen]:
        return list(self.state.seen)

    @property
    def mismatches(self) -> list[str]:
        return list(self.state.mismatches)

    @property
    def steps_left(self) -> int:
        return len(self.state.steps)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
