"""A fault-injecting HTTP proxy in front of a real registry (does network I/O).

Rules match a request path by regex and answer with an injected status (and
headers/body) for the first N matching requests, or delay them; everything else
is forwarded to the real registry unchanged.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx


@dataclass
class Rule:
    path: str  # regex searched in the request path
    status: int = 500
    times: int = 1_000_000
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0  # sleep before answering (or forwarding when status == 0)
    method: str = ""
    hits: int = 0


class FaultProxy:
    def __init__(
        self, upstream: str, paginate_tags: bool = False, auth: tuple[str, str] | None = None
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.paginate_tags = paginate_tags
        self.rules: list[Rule] = []
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                proxy._serve(self)

            do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = do_PATCH = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        self._client = httpx.Client(trust_env=False, timeout=30, auth=auth)

    def add(self, rule: Rule) -> Rule:
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self.requests.clear()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._client.close()

    def _match(self, method: str, path: str) -> Rule | None:
        with self._lock:
            self.requests.append((method, path))
            for rule in self.rules:
                if (
                    rule.hits < rule.times
                    and re.search(rule.path, path)
                    and (not rule.method or rule.method == method)
                ):
                    rule.hits += 1
                    return rule
        return None

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        rule = self._match(h.command, h.path)
        if rule and rule.delay:
            time.sleep(rule.delay)
        if rule and rule.status:
            h.send_response(rule.status)
            for k, v in rule.headers.items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(rule.body)))
            h.end_headers()
            if h.command != "HEAD":
                h.wfile.write(rule.body)
            return
        if self.paginate_tags and h.command == "GET" and "/tags/list" in h.path:
            self._serve_tag_page(h)
            return
        headers = {
            k: v for k, v in h.headers.items() if k.lower() not in ("host", "content-length")
        }
        resp = self._client.request(
            h.command, self.upstream + h.path, headers=headers, content=body
        )
        h.send_response(resp.status_code)
        for k, v in resp.headers.items():
            if k.lower() in (
                "content-length",
                "transfer-encoding",
                "connection",
                "content-encoding",
            ):
                continue
            if k.lower() == "location":
                v = v.replace(self.upstream, self.url)
            h.send_header(k, v)
        data = resp.content
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(data)

    def _serve_tag_page(self, h: BaseHTTPRequestHandler) -> None:
        """Paginate tags/list with n/last and a Link header, as Distribution v3 and Harbor do."""
        from urllib.parse import parse_qs, urlencode, urlsplit

        parts = urlsplit(h.path)
        query = parse_qs(parts.query)
        full = self._client.get(self.upstream + parts.path)
        if full.status_code != 200:
            h.send_response(full.status_code)
            h.send_header("Content-Length", str(len(full.content)))
            h.end_headers()
            h.wfile.write(full.content)
            return
        doc = full.json()
        tags = sorted(doc.get("tags") or [])
        last = query.get("last", [""])[0]
        n = int(query.get("n", ["100"])[0])
        if last:
            tags = [t for t in tags if t > last]
        page, more = tags[:n], len(tags) > n
        data = json.dumps({"name": doc["name"], "tags": page}).encode()
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        if more:
            link = parts.path + "?" + urlencode({"n": n, "last": page[-1]})
            h.send_header("Link", f'<{link}>; rel="next"')
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
