"""A Docker-registry token server for the bearer flow (does process and network I/O).

Issues RS256 JWTs (x5c header) after checking basic credentials, as Docker Hub,
Harbor and GitLab do; the real registry is configured with `auth.token` to trust
its certificate. Signing uses the `openssl` CLI.
"""

from __future__ import annotations

import base64
import json
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.bench.servers import self_signed

SERVICE = "regscan-bench-registry"
ISSUER = "regscan-bench-issuer"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenServer:
    def __init__(
        self,
        workdir: Path,
        users: dict[str, str],
        expires_in: int = 300,
        catalog: bool = True,
        realm_host: str = "127.0.0.1",
    ) -> None:
        """`catalog=False`: tokens never grant `registry:catalog:*` (as Docker Hub, GHCR...).

        `realm_host`: the host named in the registry's challenge (the server listens on
        127.0.0.1 either way). Trivy's registry client (go-containerregistry) refuses a realm
        on a loopback or private IP literal unless it is the registry's own host:port, so the
        benches that run Trivy against this registry name it `localhost`."""
        self.users = users
        self.catalog = catalog
        self.expires_in = expires_in
        self.issued: list[str] = []  # scopes of issued tokens
        self.key = workdir / "token.key"
        self.cert = workdir / "token.pem"
        self_signed(self.key, self.cert, "regscan token issuer")
        der = subprocess.run(
            ["openssl", "x509", "-in", str(self.cert), "-outform", "DER"],
            check=True,
            capture_output=True,
        ).stdout
        self._x5c = base64.b64encode(der).decode()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server._serve(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        port = self.server.server_address[1]
        self.realm = f"http://{realm_host}:{port}/token"
        self._url = f"http://127.0.0.1:{port}/token"  # the same server, by its address
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def token_for(self, user: str, password: str, scope: str) -> str:
        """A token for `scope` (e.g. `repository:team/app:pull`), asked for over HTTP with
        Basic credentials as any registry client does (Harbor hands such a repository-scoped
        token to its scanners as `registry.authorization: Bearer <token>`)."""
        r = httpx.get(
            self._url,
            params={"service": SERVICE, "scope": scope},
            auth=(user, password),
            trust_env=False,
        )
        r.raise_for_status()
        return str(r.json()["token"])

    def registry_auth_config(self) -> str:
        return (
            f"auth: {{token: {{realm: {self.realm}, service: {SERVICE}, issuer: {ISSUER}, "
            f"rootcertbundle: {self.cert}}}}}"
        )

    def _sign(self, claims: dict[str, object]) -> str:
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self._x5c]}
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        sig = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", str(self.key)],
            input=signing_input.encode(),
            check=True,
            capture_output=True,
        ).stdout
        return f"{signing_input}.{_b64(sig)}"

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        query = parse_qs(urlsplit(h.path).query)
        auth = h.headers.get("Authorization", "")
        user = ""
        if auth.startswith("Basic "):
            name, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            if self.users.get(name) != password:
                h.send_response(401)
                h.send_header("Content-Length", "0")
                h.end_headers()
                return
            user = name
        access = []
        for scope in query.get("scope", []):
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            if kind == "registry" and not self.catalog:
                continue  # the catalog is never granted
            if user:  # anonymous users get a token without access
                access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": user,
            "aud": SERVICE,
            "exp": now + self.expires_in,
            "nbf": now - 10,
            "iat": now,
            "jti": str(uuid.uuid4()),
            "access": access,
        }
        with self._lock:
            self.issued.append(" ".join(query.get("scope", [])))
        body = json.dumps({"token": self._sign(claims), "expires_in": self.expires_in}).encode()
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
