"""The HTTP service: a FastAPI application over the built store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response

from .. import __version__
from ..answers.facts import fact_base
from ..answers.search import search_index
from ..settings import Settings
from ..store import Store
from . import answers_api, applicability_api, dataset, linked_data, query_page, sparql
from .api import add_saved_query_routes
from .errors import problem
from .executor import QueryExecutor

DESCRIPTION = """Knowledge graph of French drug-access regulations: a read-only SPARQL 1.1
endpoint over cited facts (each with its source document, provision and verbatim quote)."""


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application; the store must have been built (``regkg build``)."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store_dir = settings.store_path.resolve()  # one snapshot for the life of the process
        app.state.store = Store(store_dir)
        search_index(app.state.store)  # build the in-memory indexes now, not on the first request
        fact_base(app.state.store)
        executor = QueryExecutor(str(store_dir / "oxigraph"), settings.workers, settings.query_timeout)
        await executor.start()
        app.state.executor = executor
        try:
            yield
        finally:
            await executor.close()

    app = FastAPI(title="regkg", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > settings.max_request_bytes:
            return problem(413, f"request body larger than {settings.max_request_bytes} bytes")
        if len(request.url.query) > settings.max_request_bytes:
            return problem(414, f"query string longer than {settings.max_request_bytes} bytes")
        return await call_next(request)

    # Added last, so outermost: CORS headers also go on the size-limit errors above.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=["X-Regkg-Truncated", "X-Regkg-Rows", "Warning"],
    )

    app.include_router(sparql.router)
    app.include_router(linked_data.router)
    app.include_router(dataset.router)
    app.include_router(query_page.router)
    add_saved_query_routes(app, settings)
    app.include_router(answers_api.router)
    app.include_router(applicability_api.router)
    query_page.mount_static(app)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        details = "; ".join(
            f"{'.'.join(str(x) for x in e.get('loc', ())[1:]) or 'request'}: {e.get('msg', 'invalid')}"
            for e in exc.errors()
        )
        return problem(400, f"invalid request: {details}")

    @app.get("/health", tags=["service"], summary="Liveness and store status")
    async def health(request: Request) -> dict[str, object]:
        store: Store = request.app.state.store
        info = store.info
        executor: QueryExecutor = request.app.state.executor
        return {
            "status": "ok",
            "version": __version__,
            "store": str(store.path),
            "digest": info.get("digest"),
            "quads": info.get("quads"),
            "graphs": info.get("graphs"),
            "query_workers": executor.size,
            "query_timeout_s": settings.query_timeout,
            "max_rows": settings.max_rows,
        }

    return app
