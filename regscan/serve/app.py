"""The HTTP edge of `regscan serve`: Starlette routes of the Harbor Scanner Adapter API v1.2
(I/O; decisions in `mime.py`, `jobs.py`, `harbor_model.py`, `auth.py`).
"""

from __future__ import annotations

import json
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from job_images.scanning import artifacts
from job_images.scanning.adapters.base import AdapterError
from regscan.serve import harbor_model, jobs, mime, openapi
from regscan.serve.auth import authorized
from regscan.serve.worker import QueueFull, ScanQueue

REFRESH_AFTER = 5  # seconds Harbor waits before asking for a report again


def _json(
    doc: Any, status: int, media_type: str, headers: dict[str, str] | None = None
) -> Response:
    return Response(json.dumps(doc), status, headers=headers, media_type=media_type)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return _json(harbor_model.error(message), status, mime.ERROR, headers)


def create_app(
    queue: ScanQueue, token: str | None, refresh_after: int = REFRESH_AFTER
) -> Starlette:
    async def metadata(request: Request) -> Response:
        info = await run_in_threadpool(queue.adapter.metadata)
        doc = harbor_model.metadata(info, queue.adapter.sbom_media_types())
        return _json(doc, 200, mime.METADATA)

    async def scan(request: Request) -> Response:
        if not mime.is_scan_request(request.headers.get("content-type")):
            return _error(400, "Content-Type must be " + mime.SCAN_REQUEST + "; version=1.1")
        try:
            order = harbor_model.parse_scan_request(await request.body())
        except harbor_model.RequestRejected as exc:
            return _error(exc.status, exc.message)
        try:
            job = await run_in_threadpool(queue.submit, order)
        except QueueFull as exc:
            return _error(
                429, f"too many scans waiting ({exc}); retry later", {"Retry-After": "30"}
            )
        return _json({"id": job.id}, 202, mime.SCAN_RESPONSE)

    async def report(request: Request) -> Response:
        choice = mime.choose_report(
            request.headers.get("accept"),
            request.query_params.get("sbom_media_type"),
            queue.adapter.sbom_media_types(),
        )
        job = queue.get(request.path_params["scan_request_id"])
        answer = jobs.report_answer(job, refresh_after)
        if answer.status == 404:
            return _error(404, answer.message)
        if choice.status != 200:
            return _error(choice.status, choice.message)
        if answer.status == 302:
            headers = {"Refresh-After": str(answer.refresh_after), "Location": str(request.url)}
            return Response(status_code=302, headers=headers)
        if answer.status == 500:
            return _error(500, answer.message)
        assert job is not None
        return await run_in_threadpool(_render, job, choice)

    def _render(job: jobs.Job, choice: mime.Choice) -> Response:
        stored = artifacts.load_report(queue.store, job.image.digest)
        if stored is None:
            return _error(500, "the report is no longer in the store; send the scan again")
        if choice.media_type != mime.SBOM:
            doc = harbor_model.vulnerability_report(stored, job.image)
            return _json(doc, 200, choice.media_type)
        try:  # CycloneDX: rendered from the stored SPDX SBOM once, then kept
            sbom = queue.adapter.stored_sbom(job.image.digest, choice.sbom_media_type)
        except AdapterError as exc:
            return _error(500, f"{exc.error_code}: {exc.message}")
        if sbom is None:
            return _error(500, "no SBOM stored for this digest; send the scan again")
        doc = harbor_model.sbom_report(json.loads(sbom), stored, job.image, choice.sbom_media_type)
        return _json(doc, 200, mime.SBOM)

    published = json.dumps(openapi.document(CONTENT_TYPE_LATEST))

    async def openapi_json(request: Request) -> Response:
        return Response(published, media_type="application/json")

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(queue.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def http_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, HTTPException):
            return _error(500, "internal server error")
        return _error(exc.status_code, str(exc.detail), dict(exc.headers or {}))  # 405: Allow

    async def guard(request: Request, call_next: RequestResponseEndpoint) -> Response:
        if (
            token
            and request.url.path not in openapi.OPEN_PATHS
            and not authorized(request.headers, token)
        ):
            response = _error(
                401, "missing or wrong token (Bearer, Basic password or X-ScannerAdapter-API-Key)"
            )
            response.headers["WWW-Authenticate"] = 'Bearer realm="regscan"'
        else:
            response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "other")
        queue.metrics.requests.labels(path, str(response.status_code)).inc()
        return response

    app = Starlette(
        routes=[
            Route("/api/v1/metadata", metadata, methods=["GET"]),
            Route("/api/v1/scan", scan, methods=["POST"]),
            Route("/api/v1/scan/{scan_request_id}/report", report, methods=["GET"]),
            Route(openapi.OPENAPI_PATH, openapi_json, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
        ],
        exception_handlers={HTTPException: http_error, Exception: http_error},
        middleware=[Middleware(BaseHTTPMiddleware, dispatch=guard)],
    )

    return app
