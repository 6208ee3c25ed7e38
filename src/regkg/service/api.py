"""JSON API: saved queries as REST routes (one documented route per queries/*.rq)."""

from __future__ import annotations

import inspect
from typing import Any, NamedTuple

import pyoxigraph as ox
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URL

from ..answers.saved_queries import (
    RESERVED_PARAMETERS,
    ParameterError,
    ResultPage,
    SavedQuery,
    load_saved_queries,
    page_bounds,
    saved_query_page,
)
from ..results import to_csv, to_json
from ..settings import Settings
from .errors import problem
from .negotiation import choose

router = APIRouter(prefix="/api", tags=["saved queries"])

DEFAULT_PAGE = 1_000  # rows per page of a saved query's results unless ``limit`` says otherwise

QUERY_RESULT_TYPES = {
    "application/json": "rows",
    "application/sparql-results+json": "json",
    "text/csv": "csv",
}


def _plain(term: Any) -> Any:
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        dt = term.datatype.value
        if dt.endswith(("#integer", "#int", "#long")):
            return int(term.value)
        if dt.endswith("#boolean"):
            return term.value == "true"
        return term.value
    return term.value


def answer(page: ResultPage, fmt: str, query: SavedQuery, values: dict[str, str], asked: Page) -> Response:
    """Serialise one page of a saved query's results: plain JSON rows, SPARQL JSON or CSV; a next
    page is linked from the ``Link`` header (and from ``next`` in plain JSON)."""
    variables, rows = page.columns, page.rows
    following = (
        asked.url.include_query_params(offset=asked.offset + asked.limit, limit=asked.limit) if page.more else None
    )
    headers = {"x-regkg-rows": str(len(rows))}
    if following is not None:
        headers["link"] = f'<{following}>; rel="next"'
    if fmt == "csv":
        return Response(to_csv(variables, rows), media_type="text/csv; charset=utf-8", headers=headers)
    if fmt == "json":
        return Response(to_json(variables, rows), media_type="application/sparql-results+json", headers=headers)
    body = {
        "query": query.name,
        "summary": query.summary,
        "parameters": values,
        "columns": variables,
        "rows": [{v: _plain(t) for v, t in zip(variables, row, strict=True) if t is not None} for row in rows],
        "limit": asked.limit,
        "offset": asked.offset,
        "next": str(following) if following is not None else None,
    }
    return JSONResponse(body, headers=headers)


class Page(NamedTuple):
    """Which rows a request asks for, and the URL it asked at (for the next page's link)."""

    limit: int
    offset: int
    url: URL


def _run(store: Any, query: SavedQuery, values: dict[str, str], fmt: str, asked: Page) -> Response:
    page = saved_query_page(store, query, values, limit=asked.limit, offset=asked.offset)
    return answer(page, fmt, query, values, asked)


def _page(request: Request, name: str, limit: str | None, offset: str | None) -> Page:
    """The page asked for: ``limit`` rows (default DEFAULT_PAGE, at most REGKG_MAX_ROWS) from ``offset``."""
    settings: Settings = request.app.state.settings
    try:
        asked = int(limit) if limit is not None else None, int(offset) if offset is not None else 0
    except ValueError as exc:
        raise ParameterError(f"limit and offset must be integers, got limit={limit!r}, offset={offset!r}") from exc
    size, start = page_bounds(*asked, settings.max_rows, DEFAULT_PAGE)
    return Page(size, start, URL(f"{settings.public_base}/api/queries/{name}?{request.url.query}"))


def _endpoint(query: SavedQuery) -> Any:
    async def run(request: Request, **params: str | None) -> Response:
        values = {k: v for k, v in params.items() if k not in RESERVED_PARAMETERS and v is not None}
        forced = params.get("format")
        fmt = {"json": "rows", "sparql-json": "json", "csv": "csv"}.get(forced or "") if forced else None
        fmt = fmt or choose(request.headers.get("accept"), QUERY_RESULT_TYPES, "rows")
        if fmt is None:
            return problem(406, "available as application/json, application/sparql-results+json or text/csv")
        try:  # in a thread: a listing over a large store takes a while, and the event loop serves others meanwhile
            page = _page(request, query.name, params.get("limit"), params.get("offset"))
            return await run_in_threadpool(_run, request.app.state.store, query, values, fmt, page)
        except ParameterError as exc:
            return problem(exc.status, str(exc))

    signature = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)]
    for p in query.parameters:
        default = Query(
            None if p.optional else ..., description=p.description + f" (type: {p.type})", examples=[p.example]
        )
        annotation = str | None if p.optional else str
        signature.append(
            inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)
        )
    signature.append(inspect.Parameter(
        "format", inspect.Parameter.KEYWORD_ONLY, annotation=str | None,
        default=Query(None, description="json (plain rows, default), sparql-json or csv; or use the Accept header"),
    ))  # fmt: skip
    signature.append(inspect.Parameter(
        "limit", inspect.Parameter.KEYWORD_ONLY, annotation=str | None,
        default=Query(None, description=f"rows per page (default {DEFAULT_PAGE}, at most REGKG_MAX_ROWS); "
                                        "a next page is linked from the Link header"),
    ))  # fmt: skip
    signature.append(inspect.Parameter(
        "offset", inspect.Parameter.KEYWORD_ONLY, annotation=str | None,
        default=Query(None, description="rows to skip, in the query's order (default 0)"),
    ))  # fmt: skip
    run.__signature__ = inspect.Signature(signature)  # type: ignore[attr-defined]
    run.__name__ = f"saved_query_{query.name}"
    return run


def add_saved_query_routes(app: FastAPI, settings: Settings) -> None:
    """One GET route per saved query, with its parameters in the OpenAPI schema."""
    queries = load_saved_queries(settings.queries_dir) if settings.queries_dir.is_dir() else {}
    app.state.saved_queries = queries

    @router.get("/queries", summary="List the saved queries and their parameters")
    def list_queries(request: Request) -> dict[str, Any]:
        base = request.app.state.settings.public_base
        return {"queries": [{**q.to_dict(), "url": f"{base}/api/queries/{q.name}"} for q in queries.values()]}

    for query in queries.values():
        router.add_api_route(
            f"/queries/{query.name}", _endpoint(query), methods=["GET"], summary=query.summary,
            description=f"Saved query `queries/{query.name}.rq`. Tags: {', '.join(query.tags)}.\n\n"
                        f"```sparql\n{query.text}\n```",
            responses={200: {"content": {media: {} for media in QUERY_RESULT_TYPES}}},
        )  # fmt: skip

    @router.get("/queries/{name}", include_in_schema=False)
    def unknown_query(name: str) -> Response:
        return problem(404, f"no saved query {name!r}; available: {', '.join(queries) or 'none'}")

    app.include_router(router)
