"""SPARQL 1.1 Protocol endpoint (query only; the public route is read-only).

The endpoint is the service's hot path, so GET and POST ``/sparql`` are answered by
:class:`SparqlRoute`, a pure ASGI middleware placed inside the security and CORS middleware (which
still wrap it: request id, security headers, body size limit, access log, CORS) but in front of
FastAPI's routing, dependency and validation machinery, which costs more per request than the
rest of the Python layer. The FastAPI route below stays for the OpenAPI description (and answers
if the fast route is not installed); both call :func:`answer`, so they behave the same.
"""

from __future__ import annotations

from time import perf_counter
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from ..settings import Settings
from ..sparql_text import UPDATE_FORMS, anchored_lookup, form, service_targets
from .errors import problem, problem_body
from .negotiation import CONTENT_TYPES, GRAPH_TYPES, SOLUTION_TYPES, choose, format_parameter, wants_html
from .proven_fast import ProvenFast
from .security import query_too_nested
from .service_description import service_description
from .worker import Job, execute

router = APIRouter(tags=["SPARQL"])

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE_TYPES = {"application/sparql-update"}
READ_ONLY = "SPARQL Update is not allowed on this public endpoint (read-only)"
PROBLEM_TYPE = "application/problem+json"
PATHS = frozenset({"/sparql", "/sparql/"})
METHODS = frozenset({"GET", "POST"})


class Answer(NamedTuple):
    """A complete response: status, media type (None: no body type), body, extra headers."""

    status: int
    media_type: str | None
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def _problem(status: int, detail: str) -> Answer:
    return Answer(status, PROBLEM_TYPE, problem_body(status, detail))


def _params(raw: str) -> dict[str, list[str]]:
    return parse_qs(raw, keep_blank_values=True)


def _media_type(header: str) -> tuple[str, str]:
    media, _, params = header.partition(";")
    charset = ""
    if params:
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.lower() == "charset":
                charset = value.strip().strip('"').lower()
    return media.strip().lower(), charset


def _read_request(
    method: str, query_string: str, content_type: str, body: bytes, settings: Settings
) -> tuple[dict[str, list[str]], str | None] | Answer:
    """The protocol parameters and the query text, or an error answer."""
    url_params = _params(query_string) if query_string else {}
    if method == "GET":
        return url_params, None
    media, charset = _media_type(content_type)
    if len(body) > settings.max_request_bytes:
        return _problem(413, f"request body larger than {settings.max_request_bytes} bytes")
    if media in UPDATE_TYPES:  # whatever its encoding: an update is refused as such
        return _problem(403, READ_ONLY)
    if charset and charset not in ("utf-8", "utf8"):
        return _problem(415, f"only UTF-8 is accepted, not charset={charset}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _problem(400, "the request body is not valid UTF-8")
    if media == FORM:
        form_params = _params(text)
        merged = {k: url_params.get(k, []) + form_params.get(k, []) for k in {*url_params, *form_params}}
        return merged, None
    if media == DIRECT:
        return url_params, text
    if not media:
        return _problem(415, f"missing Content-Type: use {FORM} or {DIRECT}")
    return _problem(415, f"unsupported Content-Type {media!r}: use {FORM} or {DIRECT}")


def _service_refusal(query: str, settings: Settings) -> str | None:
    """Why the query's SERVICE calls are refused, or None when it makes none outside the allowlist."""
    for target in service_targets(query):
        host = (urlsplit(target).hostname or "").lower() if target else ""
        if not host or host not in settings.service_allowlist:
            shown = target or "a variable or unknown prefix"
            return (f"SERVICE {shown} is not allowed: federated queries may only call hosts in "
                    "REGKG_SERVICE_ALLOWLIST")  # fmt: skip
    return None


def _refuse_services(query: str, settings: Settings) -> Response | None:
    """A 403 problem response when the query calls a SERVICE outside the allowlist, else None."""
    refusal = _service_refusal(query, settings)
    return None if refusal is None else problem(403, refusal)


async def answer(
    state: object, method: str, query_string: bytes, content_type: str, accept: str | None, body: bytes
) -> Answer:
    """The whole protocol exchange for one request to /sparql, the body already read (empty for
    GET): parameters, checks, negotiation, evaluation in a query worker. ``state`` is the
    application's state (settings, store, executor)."""
    settings: Settings = state.settings  # type: ignore[attr-defined]
    try:
        text = query_string.decode()
    except UnicodeDecodeError:
        return _problem(400, "the query string is not valid UTF-8")
    parsed = _read_request(method, text, content_type, body, settings)
    if isinstance(parsed, Answer):
        return parsed
    params, direct = parsed
    if "update" in params:
        return _problem(403, READ_ONLY)
    queries = params.get("query", [])
    if direct is not None:
        queries = [direct, *queries]
    if not queries:
        if method == "POST":
            return _problem(400, "missing 'query' parameter")
        if wants_html(accept):
            return Answer(303, None, b"", (("location", "/"),))
        fmt = choose(accept, GRAPH_TYPES, "turtle")
        if fmt is None:
            return _problem(406, "the service description is available as Turtle, N-Triples, RDF/XML or JSON-LD")
        description = service_description(settings, fmt, state.store)  # type: ignore[attr-defined]
        return Answer(200, CONTENT_TYPES[fmt], description, (("vary", "Accept"),))
    if len(queries) > 1:
        return _problem(400, "more than one query given; send exactly one 'query'")
    query = queries[0]
    if len(query) * 4 > settings.max_request_bytes and len(query.encode("utf-8")) > settings.max_request_bytes:
        return _problem(413, f"query longer than {settings.max_request_bytes} bytes")
    kind = form(query)  # lexed once: the form also says whether it is an update
    if kind in UPDATE_FORMS:
        return _problem(403, READ_ONLY)
    too_nested = query_too_nested(query)  # the engine's parser would run out of stack
    if too_nested:
        return _problem(400, too_nested)
    refusal = _service_refusal(query, settings)
    if refusal is not None:
        return _problem(403, refusal)

    offers = GRAPH_TYPES if kind in ("CONSTRUCT", "DESCRIBE") else SOLUTION_TYPES
    default = "turtle" if offers is GRAPH_TYPES else "json"
    forced = params.get("format", [None])[-1]
    if forced:
        fmt = format_parameter(forced, offers, default)
        if fmt is None:
            return _problem(406, f"format {forced!r} does not fit this query form")
    else:
        fmt = choose(accept, offers, default)
    if fmt is None:
        wanted = ", ".join(sorted({k for k in offers if "/" in k}))
        return _problem(406, f"cannot answer in the requested media type; available: {wanted}")

    # relative IRIs in the query resolve against the endpoint (SPARQL 1.1 Protocol, 2.1.4)
    job = Job(query=query, fmt=fmt, max_rows=settings.max_rows, default_graphs=params.get("default-graph-uri"),
              named_graphs=params.get("named-graph-uri"), base_iri=f"{settings.public_base}/sparql")  # fmt: skip
    engine = getattr(state.store, "engine", None)  # type: ignore[attr-defined]
    proven: ProvenFast | None = getattr(state, "proven_fast", None)
    key = (query, fmt, job.base_iri)
    # the served dataset as a whole, in process: a protocol dataset (default-graph-uri...) goes to a worker
    local = engine is not None and job.default_graphs is None and job.named_graphs is None
    if local and ((proven is not None and key in proven) or anchored_lookup(query, settings.max_rows)):
        began = perf_counter()  # bounded by construction or proven fast: answered here, without the hop
        outcome = execute(engine, job)
        if proven is not None:  # an overrun drops the text: back to a worker next time
            proven.record(key, perf_counter() - began)
    else:
        outcome = await state.executor.run(job)  # type: ignore[attr-defined]
        if local and proven is not None and outcome.status == 200:
            proven.record(key, outcome.seconds)
    if outcome.status != 200:
        return _problem(outcome.status, outcome.error)
    if outcome.truncated:
        headers: tuple[tuple[str, str], ...] = (
            ("vary", "Accept"),
            ("x-regkg-truncated", "true"),
            ("warning", f'199 regkg "results truncated to {settings.max_rows} rows"'),
            ("x-regkg-rows", str(outcome.rows)),
        )
    else:
        headers = (("vary", "Accept"), ("x-regkg-rows", str(outcome.rows)))
    return Answer(200, CONTENT_TYPES[fmt], outcome.body, headers)


# -- the fast route (pure ASGI) ----------------------------------------------------------------


def route_path(scope: Scope) -> str:
    """The path the application routes on (without the root path), as Starlette computes it."""
    path: str = scope["path"]
    root = scope.get("root_path", "")
    if root and path.startswith(root) and path != root and path[len(root)] == "/":
        return path[len(root) :]
    return path


async def _read_body(receive: Receive) -> bytes:
    """The whole request body, as Starlette's ``Request.body()`` reads it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            if chunk:
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect()
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class SparqlRoute:
    """Pure ASGI middleware answering GET and POST /sparql (and /sparql/) without going through
    FastAPI's router; any other request goes on to the application unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in METHODS or route_path(scope) not in PATHS:
            await self.app(scope, receive, send)
            return
        content_type = accept = None
        for name, value in scope["headers"]:  # the first of each, as Starlette's Headers.get
            if name == b"content-type":
                if content_type is None:
                    content_type = value.decode("latin-1")
            elif name == b"accept" and accept is None:
                accept = value.decode("latin-1")
        method = scope["method"]
        body = await _read_body(receive) if method == "POST" else b""
        result = await answer(scope["app"].state, method, scope.get("query_string", b""), content_type or "", accept,
                              body)  # fmt: skip
        headers = [(b"content-length", str(len(result.body)).encode())]
        if result.media_type is not None:
            headers.append((b"content-type", result.media_type.encode("latin-1")))
        for name, value in result.headers:
            headers.append((name.encode("latin-1"), value.encode("latin-1")))
        await send({"type": "http.response.start", "status": result.status, "headers": headers})
        await send({"type": "http.response.body", "body": result.body})


@router.api_route("/sparql", methods=["GET", "POST"], include_in_schema=True, summary="SPARQL 1.1 Protocol")
@router.api_route("/sparql/", methods=["GET", "POST"], include_in_schema=False)
async def sparql(request: Request) -> Response:
    """SPARQL 1.1 query endpoint. Without a query, the SPARQL 1.1 Service Description."""
    body = await request.body() if request.method == "POST" else b""
    result = await answer(request.app.state, request.method, request.scope.get("query_string", b""),
                          request.headers.get("content-type", ""), request.headers.get("accept"), body)  # fmt: skip
    return Response(result.body, status_code=result.status, media_type=result.media_type, headers=dict(result.headers))
