"""OCI Distribution API client (does network I/O): implements `api.RegistryApi` over httpx.

Anonymous, basic and bearer-token auth (state in `tokens.AuthCache`); timeouts;
retries with exponential backoff and jitter on connection errors and 5xx, and
`Retry-After` on 429 (decisions in the pure `retries`); a bounded number of
concurrent requests; every request counted by kind under a lock. Library errors
are re-raised as `RegistryError`.
"""

from __future__ import annotations

import logging
import random
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import httpx

from job_images.credentials import Credentials
from job_images.discovery.api import MAX_BLOB_BYTES
from job_images.discovery.auth import Challenge, parse_challenge
from job_images.discovery.manifests import ACCEPT, MAX_MANIFEST_BYTES
from job_images.discovery.neterrors import (
    describe_status,
    http_to_tls_server,
    transport_failure,
)
from job_images.discovery.options import ClientOptions
from job_images.discovery.retries import Action, decide, wait_seconds
from job_images.discovery.tokens import AuthCache, parse_token_response, token_params
from job_images.discovery.urls import normalize_registry_url
from regscan.common.errors import InvalidInput, RegistryError

__all__ = ["ClientOptions", "RegistryClient"]

log = logging.getLogger("regscan.registry")


class RegistryClient:
    """One registry. Thread-safe: discovery calls it from a worker pool."""

    def __init__(
        self,
        url: str,
        credentials: Credentials | None = None,
        options: ClientOptions | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.options = options or ClientOptions()
        self.base, self.host = normalize_registry_url(url, self.options.insecure)
        self._creds = credentials
        self._sleep = sleep
        self._auth = AuthCache(credentials, clock)
        verify: Any = False
        if not self.options.insecure:
            verify = ssl.create_default_context()  # system CAs ...
            if self.options.ca_file:  # ... plus the extra bundle
                try:
                    verify.load_verify_locations(cafile=self.options.ca_file)
                except (OSError, ssl.SSLError) as exc:
                    raise InvalidInput(
                        "ca-file", f"cannot load {self.options.ca_file}: {exc}"
                    ) from exc
        self._http = httpx.Client(
            verify=verify,
            timeout=self.options.timeout,
            trust_env=False,
            follow_redirects=True,
            limits=httpx.Limits(max_connections=self.options.concurrency * 2),
            headers={"User-Agent": "regscan/0.1"},
        )
        self._slots = threading.BoundedSemaphore(self.options.concurrency)
        self._lock = threading.Lock()  # guards `counts`
        self.counts: Counter[str] = Counter()

    def request_counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counts)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- public API -------------------------------------------------------
    def ping(self) -> None:
        self._request("ping", "GET", "/v2/", scope="")

    def catalog(self) -> list[str]:
        return list(self._paginate("catalog", "/v2/_catalog", "repositories", "registry:catalog:*"))

    def tags(self, repository: str) -> list[str]:
        path = f"/v2/{repository}/tags/list"
        return list(self._paginate("tags", path, "tags", _pull(repository)))

    def head_manifest(self, repository: str, reference: str) -> tuple[str, str]:
        """(digest, media type) of a tag, without the body. Digest may be '' if not sent."""
        resp = self._request(
            "head",
            "HEAD",
            f"/v2/{repository}/manifests/{reference}",
            scope=_pull(repository),
            headers={"Accept": ACCEPT},
        )
        return resp.headers.get("Docker-Content-Digest", ""), _ctype(resp)

    def get_manifest(self, repository: str, reference: str) -> tuple[bytes, str]:
        resp = self._request(
            "get",
            "GET",
            f"/v2/{repository}/manifests/{reference}",
            scope=_pull(repository),
            headers={"Accept": ACCEPT},
        )
        if len(resp.content) > MAX_MANIFEST_BYTES:
            raise RegistryError(self.host, f"manifest {repository}:{reference} is too large")
        return resp.content, _ctype(resp)

    def get_blob(self, repository: str, digest: str, max_bytes: int = MAX_BLOB_BYTES) -> bytes:
        resp = self._request(
            "blob", "GET", f"/v2/{repository}/blobs/{digest}", scope=_pull(repository)
        )
        if len(resp.content) > max_bytes:
            raise RegistryError(self.host, f"blob {repository}@{digest} exceeds {max_bytes} bytes")
        return resp.content

    # ---- internals --------------------------------------------------------
    def _paginate(self, kind: str, path: str, key: str, scope: str) -> Iterator[str]:
        url: str | None = f"{path}?{urlencode({'n': self.options.page_size})}"
        seen: set[str] = set()
        while url:
            if url in seen:
                raise RegistryError(self.host, f"pagination loop at {url}")
            seen.add(url)
            resp = self._request(kind, "GET", url, scope=scope)
            try:
                items = resp.json().get(key) or []
            except (ValueError, AttributeError) as exc:
                raise RegistryError(
                    self.host, f"{path} did not return JSON", resp.status_code
                ) from exc
            if not isinstance(items, list):
                raise RegistryError(self.host, f"{path}: '{key}' is not a list", resp.status_code)
            yield from (str(i) for i in items)
            url = _next_link(resp.headers.get("Link", ""))

    def _request(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        scope: str,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        url = urljoin(self.base + "/", path.lstrip("/")) if not path.startswith("http") else path
        if urlsplit(url).netloc != self.host:
            raise RegistryError(self.host, f"refusing to follow a link to another host: {url}")
        attempt = 0
        reauthed = False
        while True:
            req_headers = {**(headers or {}), **self._auth.header(scope)}
            try:
                with self._slots:
                    self._count(kind)
                    resp = self._http.request(method, url, headers=req_headers)
            except httpx.TransportError as exc:
                failure = transport_failure(exc, url, self.options.timeout)
                gave_up = decide(None, attempt, self.options.retries) is Action.GIVE_UP
                if not failure.retryable or gave_up:
                    tries = f" (after {attempt + 1} attempts)" if attempt else ""
                    raise RegistryError(self.host, f"{failure.message}{tries}") from exc
                log.debug("%s %s: %s; retrying", method, url, failure.message)
                self._wait(Action.BACKOFF, attempt, None)
                attempt += 1
                continue
            status = resp.status_code
            if status == 401 and not reauthed:
                challenge = parse_challenge(resp.headers.get("WWW-Authenticate", ""))
                if challenge and self._authenticate(challenge, scope):
                    reauthed = True
                    continue
            action = decide(status, attempt, self.options.retries)
            if action is not Action.ACCEPT:
                log.debug("%s %s: HTTP %d; retrying", method, url, status)
                self._wait(action, attempt, resp.headers.get("Retry-After"))
                attempt += 1
                continue
            if http_to_tls_server(url, status, resp.content):
                raise RegistryError(
                    self.host, f"the registry speaks TLS; use https://{self.host}", status
                )
            if status >= 400:
                raise RegistryError(self.host, describe_status(kind, method, path, resp), status)
            return resp

    def _count(self, kind: str) -> None:
        with self._lock:
            self.counts[kind] += 1

    def _wait(self, action: Action, attempt: int, retry_after: str | None) -> None:
        self._count("retry")
        delay = wait_seconds(
            action,
            attempt,
            self.options.retry_policy,
            retry_after=retry_after,
            now=time.time(),
            jitter=random.random(),
        )
        self._sleep(delay)

    def _authenticate(self, challenge: Challenge, scope: str) -> bool:
        if challenge.scheme == "basic":
            return self._auth.use_basic()
        if challenge.scheme != "bearer" or "realm" not in challenge.params:
            return False
        self._fetch_token(challenge, scope)
        return True

    def _fetch_token(self, challenge: Challenge, scope: str) -> None:
        auth = httpx.BasicAuth(self._creds.username, self._creds.password) if self._creds else None
        self._count("token")
        try:
            resp = self._http.get(
                challenge.params["realm"], params=token_params(challenge, scope), auth=auth
            )
        except httpx.TransportError as exc:
            realm = challenge.params["realm"]
            failure = transport_failure(exc, realm, self.options.timeout)
            raise RegistryError(self.host, f"token service {realm}: {failure.message}") from exc
        if resp.status_code in (401, 403):
            raise RegistryError(
                self.host,
                "token service refused the credentials (check --docker-config or --username)",
                resp.status_code,
            )
        if resp.status_code != 200:
            raise RegistryError(self.host, "token request failed", resp.status_code)
        try:
            value, expires_in = parse_token_response(resp.json())
        except ValueError as exc:
            raise RegistryError(self.host, str(exc), resp.status_code) from exc
        self._auth.store(scope, value, expires_in)


def _pull(repository: str) -> str:
    return f"repository:{repository}:pull"


def _ctype(resp: httpx.Response) -> str:
    return str(resp.headers.get("Content-Type", "")).split(";")[0].strip()


def _next_link(header: str) -> str | None:
    for part in header.split(","):
        if 'rel="next"' in part or "rel=next" in part:
            start, end = part.find("<"), part.find(">")
            if 0 <= start < end:
                return part[start + 1 : end]
    return None
