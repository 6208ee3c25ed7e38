"""JSON API: saved queries as REST routes (one documented route per queries/*.rq)."""

from __future__ import annotations

import inspect
from typing import Any

import pyoxigraph as ox
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ..answers.saved_queries import ParameterError, SavedQuery, load_saved_queries, run_saved_query
from ..results import to_csv, to_json
from ..settings import Settings
from .errors import problem
from .negotiation import choose

router = APIRouter(prefix="/api", tags=["saved queries"])

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


def answer(results: Any, fmt: str, query: SavedQuery, values: dict[str, str]) -> Response:
    """Serialise a saved query's results: plain JSON rows, SPARQL JSON or CSV."""
    variables = [v.value for v in results.variables]
    rows = [[solution[i] for i in range(len(variables))] for solution in results]
    if fmt == "csv":
        return Response(to_csv(variables, rows), media_type="text/csv; charset=utf-8")
    if fmt == "json":
        return Response(to_json(variables, rows), media_type="application/sparql-results+json")
    body = {
        "query": query.name,
        "summary": query.summary,
        "parameters": values,
        "columns": variables,
        "rows": [{v: _plain(t) for v, t in zip(variables, row, strict=True) if t is not None} for row in rows],
    }
    return JSONResponse(body)


def _run(store: Any, query: SavedQuery, values: dict[str, str], fmt: str) -> Response:
    return answer(run_saved_query(store, query, values), fmt, query, values)


def _endpoint(query: SavedQuery) -> Any:
    async def run(request: Request, **params: str | None) -> Response:
        values = {k: v for k, v in params.items() if k != "format" and v is not None}
        forced = params.get("format")
        fmt = {"json": "rows", "sparql-json": "json", "csv": "csv"}.get(forced or "") if forced else None
        fmt = fmt or choose(request.headers.get("accept"), QUERY_RESULT_TYPES, "rows")
        if fmt is None:
            return problem(406, "available as application/json, application/sparql-results+json or text/csv")
        try:  # in a thread: a listing over a large store takes a while, and the event loop serves others meanwhile
            return await run_in_threadpool(_run, request.app.state.store, query, values, fmt)
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
