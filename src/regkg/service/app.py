"""The HTTP service: a FastAPI application over the built store."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from .. import __version__
from ..answers.facts import fact_base, facts_allowed
from ..answers.quote_index import quote_index
from ..answers.search import search_index
from ..backend import StoreBackend, open_store, store_version, worker_target
from ..ingest import recover_if_idle
from ..settings import Settings
from ..store import Store, StoreMissing, read_build_info
from . import answers_api, applicability_api, dataset, documents_api, linked_data, query_page, security, sparql
from .api import add_saved_query_routes
from .errors import problem
from .executor import QueryExecutor
from .proven_fast import ProvenFast

DESCRIPTION = """Knowledge graph of French drug-access regulations: a read-only SPARQL 1.1
endpoint over cited facts (each with its source document, provision and verbatim quote)."""


STORE_LINK_POLL_SECONDS = 2.0
log = logging.getLogger("regkg.service")


def _in_memory(settings: Settings, version: str) -> bool:
    """Whether the service reads an in-memory copy of the embedded store: when asked to
    (REGKG_IN_MEMORY), or when the store holds at most REGKG_IN_MEMORY_MAX_QUADS quads."""
    if settings.store.remote:
        return False
    if settings.in_memory:
        return True
    if settings.in_memory_max_quads <= 0:
        return False
    quads = (read_build_info(Path(version)) or {}).get("quads")
    return isinstance(quads, int) and quads <= settings.in_memory_max_quads


def _open_store(settings: Settings, version: str) -> StoreBackend:
    """A store handle whose search index, quote index and facts base are built in the background: the
    service answers SPARQL, saved queries, applicability and pages at once (a large store takes
    minutes to index), and a search or facts request made meanwhile waits for its index."""
    store = open_store(replace(settings, in_memory=True) if _in_memory(settings, version) else settings, version)
    indexing = threading.Thread(target=_index, args=(store, settings.facts_max_triples), name="regkg-index")
    indexing.daemon = True
    indexing.start()
    return store


def _index(store: StoreBackend, facts_max_triples: int) -> None:
    try:
        search_index(store)
        if isinstance(store, Store):
            quote_index(store)
        if facts_allowed(store, facts_max_triples):
            fact_base(store)
    except Exception:  # a store removed or an endpoint gone meanwhile: the request that needs it will say
        log.exception("regkg: cannot index the store")


def _serve(app: FastAPI, store: StoreBackend, version: str) -> None:
    """Serve ``store`` from now on, with no SPARQL query proven fast yet: what was proven on
    another store does not carry over (:mod:`.proven_fast`)."""
    settings: Settings = app.state.settings
    app.state.store, app.state.store_version = store, version
    app.state.proven_fast = ProvenFast(settings.in_process_ms / 1000)


async def reload_store(app: FastAPI) -> bool:
    """Serve the store there is now, if it changed (an ingest, ``regkg build`` or ``regkg
    restore``): a new in-process handle, indexes built before the switch, and query workers
    respawned on it. Embedded store: the link points to another build directory; requests under
    way finish on the previous build (an ingest keeps its directory until the next swap; after
    a rebuild, the open handles keep reading its removed files). Remote store: the build digest
    recorded on the endpoint changed. Returns whether it switched."""
    settings: Settings = app.state.settings
    async with app.state.reload_lock:
        version = await run_in_threadpool(store_version, settings)
        if version == app.state.store_version:
            return False
        store = await run_in_threadpool(_open_store, settings, version)
        await app.state.executor.reload(worker_target(store))
        _serve(app, store, version)
        log.info("regkg: now serving %s (digest %s)", store.path, str(store.info.get("digest"))[:16])
        return True


async def _follow_store_link(app: FastAPI) -> None:
    """Reload when another process swaps the store link or republishes the remote store
    (e.g. ``regkg build`` while serving)."""
    while True:
        await asyncio.sleep(STORE_LINK_POLL_SECONDS)
        try:
            await reload_store(app)
        except (OSError, StoreMissing) as exc:  # a half-removed store, an unreachable endpoint: keep serving
            log.warning("regkg: cannot reload the store: %s", exc)


def _refuse_remote_ingest(app: FastAPI) -> None:
    """Ingest over HTTP writes the embedded store's files: refused on a remote store."""

    @app.middleware("http")
    async def remote_store_is_read_only(request: Request, call_next):  # type: ignore[no-untyped-def]
        if request.method in ("PUT", "DELETE") and request.url.path.startswith("/api/documents/"):
            return problem(501, "documents cannot be ingested over HTTP on a remote store (REGKG_STORE=sparql:…): "
                                "add them to the project and run `regkg build`")  # fmt: skip
        return await call_next(request)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application; the store must have been built (``regkg build``)."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        recover_if_idle(settings)  # an ingest interrupted by a crash: finish or undo it first
        version = store_version(settings)  # one snapshot until it changes (see reload_store)
        _serve(app, _open_store(settings, version), version)
        executor = QueryExecutor(
            worker_target(app.state.store), settings.workers, settings.query_timeout, settings.queue_timeout
        )
        await executor.start()
        app.state.executor = executor
        app.state.reload_lock = asyncio.Lock()
        watcher = asyncio.create_task(_follow_store_link(app))
        try:
            yield
        finally:
            watcher.cancel()
            await executor.close()

    app = FastAPI(title="regkg", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings

    # GET/POST /sparql answered in pure ASGI, inside the middleware below but before FastAPI's routing.
    app.add_middleware(sparql.SparqlRoute)
    if settings.store.remote:
        _refuse_remote_ingest(app)
    # Request id, security headers, 413, 500 without trace, JSON access log: around everything but CORS.
    security.install(app, settings)

    # Added last, so outermost: CORS headers also go on the size-limit errors above.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST", "OPTIONS"],  # reads only (POST /sparql, /api/applicability)
        allow_headers=["Accept", "Accept-Language", "Content-Type", "X-Request-ID"],  # no Authorization
        expose_headers=["X-Regkg-Truncated", "X-Regkg-Rows", "Warning", "X-Request-ID"],
        max_age=600,
    )

    app.include_router(sparql.router)
    app.include_router(linked_data.router)
    app.include_router(dataset.router)
    app.include_router(query_page.router)
    add_saved_query_routes(app, settings)
    app.include_router(answers_api.router)
    app.include_router(applicability_api.router)
    app.include_router(documents_api.router)
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
        store: StoreBackend = request.app.state.store
        info = store.info
        executor: QueryExecutor = request.app.state.executor
        return {
            "status": "ok",
            "version": __version__,
            "store": str(store.path),
            "digest": info.get("digest"),
            "quads": info.get("quads"),
            "graphs": info.get("graphs"),
            "in_memory": bool(getattr(store, "in_memory", False)),
            "query_workers": executor.size,
            "query_timeout_s": settings.query_timeout,
            "max_rows": settings.max_rows,
        }

    return app
