"""Security hygiene of the HTTP service, installed on the application by :func:`install`.

- **Security headers** on every response: ``X-Content-Type-Options: nosniff``, a
  ``Referrer-Policy``, ``X-Frame-Options: DENY``, a ``Content-Security-Policy`` (for HTML pages:
  scripts only from this origin, which the query page and its vendored YASGUI need; for anything
  else: nothing at all), ``Cross-Origin-Resource-Policy`` (pages and their static files stay on this
  origin, the data is public), ``Cross-Origin-Opener-Policy`` and a ``Permissions-Policy`` on pages,
  and ``Strict-Transport-Security`` when the public base URL is https.
- **No stack traces in responses**: any unexpected exception becomes a 500 problem document
  ``{"status": 500, "title": "Internal Server Error", "detail": "internal error; request id …"}``
  without the exception's text; the trace is logged on the server (logger ``regkg.error``) with
  the request id, so the two can be matched. Every HTTP error (404 of an unknown route, 405…) is a
  problem document too.
- **Structured access logs**: one JSON line per request on the logger ``regkg.access`` with the
  request id, method, path, status, duration in milliseconds and response size (no client address:
  it is personal data and not needed). The request id is the client's ``X-Request-ID`` when it is
  sane (1–128 characters of ``A-Z a-z 0-9 . _ : @ / + = -``), else a fresh one; it is echoed in the
  ``X-Request-ID`` response header.
- **Body size limit** (``REGKG_MAX_REQUEST_BYTES``): a body announced larger, or a chunked body that
  grows larger, is refused with 413 before any route reads it.

It also offers :func:`query_nesting` / :func:`query_too_nested`: a lexical measure of how deeply a
SPARQL query nests groups, expressions and collections, so that a query nested deeper than any real
one is refused with 400 before the engine (whose parser recurses) runs out of stack on it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import sys
import time
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..settings import Settings
from .errors import problem

REQUEST_ID_HEADER = "X-Request-ID"
ACCESS_LOGGER = "regkg.access"
ERROR_LOGGER = "regkg.error"

# A client's request id is kept when it is this sane (no spaces, quotes, control characters).
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
_MAX_LOGGED_PATH = 2048

# Pages: scripts from this origin only (the query page's script and YASGUI are under /static; its
# configuration is a JSON data block, not a script); inline styles are needed by the templates'
# <style> blocks and by YASGUI (CodeMirror, DataTables); data: images and fonts by YASGUI's CSS.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# FastAPI's /docs (Swagger UI) and /redoc load their code from a CDN and start with an inline script.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "img-src 'self' data: https:; font-src 'self' data: https://fonts.gstatic.com; connect-src 'self'; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# Data (JSON, RDF, CSV, dumps): never rendered as an active document.
DATA_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
HSTS = "max-age=31536000"

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_HTML_TYPES_RAW = (b"text/html", b"application/xhtml+xml")
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

access_log = logging.getLogger(ACCESS_LOGGER)
error_log = logging.getLogger(ERROR_LOGGER)


# -- structured logs ---------------------------------------------------------------------------


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the record's
    ``fields`` (passed as ``extra={"fields": {...}}``) and, for an exception, its trace."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["trace"] = self.formatException(record.exc_info)
        return _LOG_ENCODER.encode(entry)


_LOG_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)  # json.dumps would build one per line


def configure_logging(level: int = logging.INFO) -> None:
    """Send the ``regkg`` loggers to standard error as JSON lines, unless the application that
    runs the service configured a handler for them already (then it decides)."""
    logger = logging.getLogger("regkg")
    if logger.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(level)
    logger.propagate = False  # not twice when the root logger has a handler too


def request_id(incoming: str | None) -> str:
    """The client's request id when it is sane, else a new random one (32 hex digits)."""
    if incoming and _SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return os.urandom(16).hex()


def current_request_id(request: Request) -> str | None:
    """The id the middleware gave this request (None outside it)."""
    return getattr(request.state, "request_id", None)


# -- query shape -------------------------------------------------------------------------------

# Comments, strings and IRIs are skipped (a brace inside them does not nest); brackets are counted.
_BRACKETS = re.compile(
    r'''\#[^\n\r]*
      | """(?:[^"\\]|\\.|"(?!""))*"""
      | \'\'\'(?:[^'\\]|\\.|'(?!''))*\'\'\'
      | "(?:[^"\\\n\r]|\\.)*"
      | '(?:[^'\\\n\r]|\\.)*'
      | <[^<>"{}|^`\\\x00-\x20]*>
      | (?P<open>[{(\[])
      | (?P<close>[})\]])''',
    re.VERBOSE | re.DOTALL,
)
MAX_QUERY_NESTING = 200  # far deeper than any real query; the engine's parser overflows near 3000


def query_nesting(text: str) -> int:
    """How deeply the query nests ``{ }``, ``( )`` and ``[ ]`` (outside strings, IRIs, comments)."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(text):
        if match.lastgroup == "open":
            depth += 1
            deepest = max(deepest, depth)
        elif match.lastgroup == "close":
            depth = max(0, depth - 1)
    return deepest


def query_too_nested(text: str, limit: int = MAX_QUERY_NESTING) -> str | None:
    """A message for a 400 when the query nests deeper than ``limit``, else None."""
    if text.count("{") + text.count("(") + text.count("[") <= limit:  # cannot nest deeper: no lexing
        return None
    depth = query_nesting(text)
    if depth > limit:
        return f"the query nests groups or expressions {depth} deep; at most {limit} levels are accepted"
    return None


def require_json(request: Request) -> None:
    """Route dependency: 415 when the body is declared as anything but JSON (``application/json``
    or ``…+json``). A body without Content-Type is taken as JSON, as FastAPI does."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media and media != "application/json" and not media.endswith("+json"):
        raise StarletteHTTPException(415, f"unsupported Content-Type {media!r}: send application/json")


# -- the middleware ----------------------------------------------------------------------------


def _problem_body(status: int, detail: str) -> bytes:
    return json.dumps(
        {"status": status, "title": HTTPStatus(status).phrase, "detail": detail}, separators=(",", ":")
    ).encode()


class SecurityMiddleware:
    """Pure ASGI middleware (streaming responses pass through untouched): request id, security
    headers, body size limit, catch-all 500 without trace, one access log line per request.

    It runs on every request, so its per-request work is kept small: one pass over the request
    headers, the security headers prepared once per kind of response (page, docs page, static
    file, data), one pass over the response headers to add those missing."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: int,
        docs_paths: Iterable[str] = (),
        hsts: bool = False,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.docs_paths = frozenset(docs_paths)
        self.hsts = hsts
        self._header_sets: dict[tuple[bool, bool, bool], tuple[tuple[bytes, bytes], ...]] = {}

    def _defaults(self, page: bool, docs: bool, static: bool) -> tuple[tuple[bytes, bytes], ...]:
        """The security headers of a kind of response (lower-case names, as ASGI has them)."""
        key = (page, docs, static)
        found = self._header_sets.get(key)
        if found is None:
            csp = (DOCS_CSP if docs else PAGE_CSP) if page else DATA_CSP
            defaults = {
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
                "X-Frame-Options": "DENY",
                "Content-Security-Policy": csp,
                "Cross-Origin-Resource-Policy": "same-origin" if page or static else "cross-origin",
            }
            if page:
                defaults["Cross-Origin-Opener-Policy"] = "same-origin"
                defaults["Permissions-Policy"] = PERMISSIONS_POLICY
            if self.hsts:
                defaults["Strict-Transport-Security"] = HSTS
            found = tuple((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in defaults.items())
            self._header_sets[key] = found
        return found

    def _response_headers(self, raw: Iterable[tuple[bytes, bytes]], rid: bytes, path: str) -> list[tuple[bytes, bytes]]:
        """The response's headers with the request id (replacing any) and the missing security headers."""
        headers = []
        present = set()
        media = None
        for name, value in raw:
            lowered = name.lower()
            if lowered == b"x-request-id":
                continue
            if lowered == b"content-type" and media is None:  # the first one, as Headers.get
                media = value.split(b";", 1)[0].strip().lower()
            present.add(lowered)
            headers.append((name, value))
        headers.append((b"x-request-id", rid))
        page = media in _HTML_TYPES_RAW
        for name, value in self._defaults(page, path in self.docs_paths, path.startswith("/static/")):
            if name not in present:
                headers.append((name, value))
        return headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        incoming = length = None
        chunked = False
        for name, value in scope["headers"]:  # the first of each, as Starlette's Headers.get
            if name == b"x-request-id":
                if incoming is None:
                    incoming = value.decode("latin-1")
            elif name == b"content-length":
                if length is None:
                    length = value.decode("latin-1")
            elif name == b"transfer-encoding":
                chunked = True
        rid = request_id(incoming)
        rid_raw = rid.encode("latin-1")
        scope.setdefault("state", {})["request_id"] = rid
        path = scope.get("path", "")
        status = sent = 0
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, sent, response_started
            kind = message["type"]
            if kind == "http.response.start":
                status = message["status"]
                response_started = True
                message["headers"] = self._response_headers(message.get("headers", ()), rid_raw, path)
            elif kind == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        async def respond(status: int, detail: str, extra: dict[str, str] | None = None) -> None:
            body = _problem_body(status, detail)
            headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
            headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (extra or {}).items()]
            await send_with_headers({"type": "http.response.start", "status": status, "headers": headers})
            await send_with_headers({"type": "http.response.body", "body": body})

        try:
            app_receive = await self._limited_receive(scope, receive, length, chunked)
            if app_receive is None:
                await respond(413, f"request body larger than {self.max_body} bytes", {"Connection": "close"})
            else:
                await self.app(scope, app_receive, send_with_headers)
        except ClientDisconnect:  # the client went away before its body arrived: nobody to answer
            pass
        except Exception:
            error_log.exception(
                "unhandled exception while answering a request",
                extra={"fields": {"request_id": rid, "method": scope.get("method"), "path": path[:_MAX_LOGGED_PATH]}},
            )
            if response_started:  # too late for an error response: the connection is closed
                raise
            await respond(500, f"internal error; request id {rid}")
        finally:
            if access_log.isEnabledFor(logging.INFO):
                fields = {
                    "request_id": rid,
                    "method": scope.get("method"),
                    "path": path[:_MAX_LOGGED_PATH],
                    "status": status or None,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "bytes": sent,
                }
                # as access_log.info("request", extra=...), without looking up the caller's frame
                access_log.handle(access_log.makeRecord(ACCESS_LOGGER, logging.INFO, "", 0, "request", (), None,
                                                        extra={"fields": fields}))  # fmt: skip

    async def _limited_receive(
        self, scope: Scope, receive: Receive, length: str | None, chunked: bool
    ) -> Receive | None:
        """``receive`` for the application, or None when the body is larger than allowed. A body
        without Content-Length (chunked) is read here, up to the limit, then replayed."""
        if length is not None:
            return None if length.strip().isdigit() and int(length) > self.max_body else receive
        if scope.get("method") not in _BODY_METHODS or not chunked:
            return receive
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: the application sees it
                replay = [message]
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                replay = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]
                break

        async def replayed() -> Message:
            return replay.pop(0) if replay else await receive()

        return replayed


# -- installation ------------------------------------------------------------------------------


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's HTTP errors (unknown route, wrong method, unparsable body) as problem JSON."""
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    response = problem(exc.status_code, detail)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _last_resort(request: Request, exc: Exception) -> Response:
    """For an exception that escaped the middleware (it should not): still no trace."""
    rid = current_request_id(request) or "unknown"
    return problem(500, f"internal error; request id {rid}")


def install(app: FastAPI, settings: Settings) -> None:
    """Add the security middleware, the HTTP-error and last-resort handlers, and JSON logging.

    Call it after the application's other ``add_middleware`` calls (so that it wraps them) but
    before adding ``CORSMiddleware``, which must stay outermost so that its headers also go on the
    413 and 500 answers made here (CORS preflights are then answered before this middleware)."""
    configure_logging()
    docs = {p for p in (app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url) if p}
    app.add_middleware(
        SecurityMiddleware,
        max_body=settings.max_request_bytes,
        docs_paths=docs,
        hsts=settings.public_base.startswith("https://"),
    )
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _last_resort)
