"""SPARQL 1.1 Protocol endpoint (query only; the public route is read-only)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from ..settings import Settings
from ..sparql_text import form, is_update, service_targets
from .errors import problem
from .negotiation import CONTENT_TYPES, GRAPH_TYPES, SOLUTION_TYPES, choose, format_parameter, wants_html
from .security import query_too_nested
from .service_description import service_description
from .worker import Job

router = APIRouter(tags=["SPARQL"])

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE_TYPES = {"application/sparql-update"}
READ_ONLY = "SPARQL Update is not allowed on this public endpoint (read-only)"


def _params(raw: str) -> dict[str, list[str]]:
    return parse_qs(raw, keep_blank_values=True)


def _media_type(request: Request) -> tuple[str, str]:
    header = request.headers.get("content-type", "")
    media, _, params = header.partition(";")
    charset = ""
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.strip().lower(), charset


async def _read_request(request: Request, settings: Settings) -> tuple[dict[str, list[str]], str | None] | Response:
    """The protocol parameters and the query text, or an error response."""
    url_params = _params(urlsplit(str(request.url)).query)
    if request.method == "GET":
        return url_params, None
    media, charset = _media_type(request)
    body = await request.body()
    if len(body) > settings.max_request_bytes:
        return problem(413, f"request body larger than {settings.max_request_bytes} bytes")
    if media in UPDATE_TYPES:  # whatever its encoding: an update is refused as such
        return problem(403, READ_ONLY)
    if charset and charset not in ("utf-8", "utf8"):
        return problem(415, f"only UTF-8 is accepted, not charset={charset}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return problem(400, "the request body is not valid UTF-8")
    if media == FORM:
        form_params = _params(text)
        merged = {k: url_params.get(k, []) + form_params.get(k, []) for k in {*url_params, *form_params}}
        return merged, None
    if media == DIRECT:
        return url_params, text
    if not media:
        return problem(415, f"missing Content-Type: use {FORM} or {DIRECT}")
    return problem(415, f"unsupported Content-Type {media!r}: use {FORM} or {DIRECT}")


def _refuse_services(query: str, settings: Settings) -> Response | None:
    for target in service_targets(query):
        host = (urlsplit(target).hostname or "").lower() if target else ""
        if not host or host not in settings.service_allowlist:
            shown = target or "a variable or unknown prefix"
            return problem(403, f"SERVICE {shown} is not allowed: federated queries may only call hosts in "
                                "REGKG_SERVICE_ALLOWLIST")  # fmt: skip
    return None


@router.api_route("/sparql", methods=["GET", "POST"], include_in_schema=True, summary="SPARQL 1.1 Protocol")
@router.api_route("/sparql/", methods=["GET", "POST"], include_in_schema=False)
async def sparql(request: Request) -> Response:
    """SPARQL 1.1 query endpoint. Without a query, the SPARQL 1.1 Service Description."""
    settings: Settings = request.app.state.settings
    parsed = await _read_request(request, settings)
    if isinstance(parsed, Response):
        return parsed
    params, direct = parsed
    if "update" in params:
        return problem(403, READ_ONLY)
    queries = params.get("query", [])
    if direct is not None:
        queries = [direct, *queries]
    if not queries:
        if request.method == "POST":
            return problem(400, "missing 'query' parameter")
        accept = request.headers.get("accept", "")
        if wants_html(accept):
            return RedirectResponse("/", status_code=303)
        fmt = choose(accept, GRAPH_TYPES, "turtle")
        if fmt is None:
            return problem(406, "the service description is available as Turtle, N-Triples, RDF/XML or JSON-LD")
        return Response(service_description(settings, fmt, request.app.state.store), media_type=CONTENT_TYPES[fmt],
                        headers={"Vary": "Accept"})  # fmt: skip
    if len(queries) > 1:
        return problem(400, "more than one query given; send exactly one 'query'")
    query = queries[0]
    if len(query.encode("utf-8")) > settings.max_request_bytes:
        return problem(413, f"query longer than {settings.max_request_bytes} bytes")
    if is_update(query):
        return problem(403, READ_ONLY)
    too_nested = query_too_nested(query)  # the engine's parser would run out of stack
    if too_nested:
        return problem(400, too_nested)
    refused = _refuse_services(query, settings)
    if refused is not None:
        return refused

    kind = form(query)
    offers = GRAPH_TYPES if kind in ("CONSTRUCT", "DESCRIBE") else SOLUTION_TYPES
    default = "turtle" if offers is GRAPH_TYPES else "json"
    forced = params.get("format", [None])[-1]
    if forced:
        fmt = format_parameter(forced, offers, default)
        if fmt is None:
            return problem(406, f"format {forced!r} does not fit this query form")
    else:
        fmt = choose(request.headers.get("accept"), offers, default)
    if fmt is None:
        wanted = ", ".join(sorted({k for k in offers if "/" in k}))
        return problem(406, f"cannot answer in the requested media type; available: {wanted}")

    default_graphs = params.get("default-graph-uri")
    named_graphs = params.get("named-graph-uri")
    # relative IRIs in the query resolve against the endpoint (SPARQL 1.1 Protocol, 2.1.4)
    job = Job(query=query, fmt=fmt, max_rows=settings.max_rows, default_graphs=default_graphs,
              named_graphs=named_graphs, base_iri=f"{settings.public_base}/sparql")  # fmt: skip
    outcome = await request.app.state.executor.run(job)
    if outcome.status != 200:
        return problem(outcome.status, outcome.error)
    headers = {"Vary": "Accept"}
    if outcome.truncated:
        headers["X-Regkg-Truncated"] = "true"
        headers["Warning"] = f'199 regkg "results truncated to {settings.max_rows} rows"'
    headers["X-Regkg-Rows"] = str(outcome.rows)
    return Response(outcome.body, media_type=CONTENT_TYPES[fmt], headers=headers)
