"""Errors, handled in one place: every failure becomes `{"error": {"status", "message",
"detail"}}` under /api and an HTML error page elsewhere, never a traceback.

paperwire's exceptions carry their HTTP status (`PaperwireError.http_status`: NotFound 404,
BadQuery and BadRequest 400, ...); FastAPI's request validation errors are 400s; anything
unexpected is logged and answered with a plain 500.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from paperwire.errors import BadQuery, PaperwireError

log = logging.getLogger(__name__)
API_PREFIX = "/api/"

_MESSAGES = {
    404: "there is no page at this address",
    405: "this address does not take that method: it only answers GET",
}


def error_response(request: Request, status: int, message: str, detail: Any = None) -> Response:
    """The JSON error object for the API, the error page for the rest of the site."""
    if request.url.path.startswith(API_PREFIX):
        body = {"error": {"status": status, "message": message, "detail": detail}}
        return JSONResponse(body, status_code=status)
    templates = request.app.state.templates
    context = {
        "status": status,
        "message": message,
        "detail": detail,
        "query": request.query_params.get("q", "") if request.url.path == "/search" else None,
        "mode": request.query_params.get("mode", ""),
    }
    return templates.TemplateResponse(request, "error.html", context, status_code=status)


async def _paperwire_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PaperwireError)
    detail = {"position": exc.position} if isinstance(exc, BadQuery) else None
    if exc.http_status >= 500:
        log.error("%s on %s: %s", type(exc).__name__, request.url.path, exc)
    return error_response(request, exc.http_status, str(exc), detail)


def _where(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("query", "path", "body")]
    return ".".join(parts) or "request"


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"where": _where(tuple(e.get("loc", ()))), "message": str(e.get("msg", ""))}
        for e in exc.errors()
    ]
    message = "; ".join(f"{e['where']}: {e['message']}" for e in errors) or "invalid request"
    return error_response(request, 400, f"bad request parameters: {message}", errors)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = _MESSAGES.get(exc.status_code) or str(exc.detail)
    response = error_response(request, exc.status_code, message)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


def install(app: FastAPI, *, headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
    """The handlers; `headers` go on 500 answers too, which starlette sends from outside every
    middleware (so the one adding security headers never sees them)."""

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path, exc_info=exc)
        message = "something went wrong on our side; it has been logged"
        response = error_response(request, 500, message)
        for name, value in headers:
            response.headers[name.decode()] = value.decode()
        return response

    app.add_exception_handler(PaperwireError, _paperwire_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, unexpected)
