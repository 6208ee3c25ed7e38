"""Source documents over HTTP: list and structure (public), and ingest (authenticated).

- ``GET /api/documents``, ``GET /api/documents/{stem}``: each source document with its metadata,
  its provisions in logical order and what each says (resources and verbatim quotes), and its
  versions; ``GET /api/documents/{stem}/versions/{n}``: the Turtle of a version.
- ``PUT /api/documents/{stem}`` (JSON ``{"turtle": …, "source_text": …}``) and
  ``DELETE /api/documents/{stem}``, with ``Authorization: Bearer <REGKG_INGEST_TOKEN>``: validated
  like a build, then an atomic store swap (see :mod:`regkg.ingest`); the running service then
  serves the new store, with no restart. No token configured: every write is 403.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import asdict
from http import HTTPStatus
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from ..describe import document_structure
from ..describe import labels as fetch_labels
from ..ingest import (
    IngestError,
    IngestPaths,
    append_audit,
    check_stem,
    delete_document,
    ingest_document,
    load_versions,
    token_fingerprint,
    version_graph,
)
from ..namespaces import GRAPH, ID
from ..settings import Settings
from ..store import Store
from ..terms import compact
from .errors import problem

router = APIRouter(prefix="/api", tags=["documents"])

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "invalid stem or body", **_PROBLEM},
    401: {"description": "no bearer token (WWW-Authenticate: Bearer)", **_PROBLEM},
    403: {"description": "wrong token, or writes disabled (no REGKG_INGEST_TOKEN)", **_PROBLEM},
    409: {"description": "the stem is a project document (data/documents/): change it in the repository", **_PROBLEM},
    413: {"description": "body too large (REGKG_MAX_REQUEST_BYTES)", **_PROBLEM},
    415: {"description": "the body is not JSON", **_PROBLEM},
    422: {
        "description": "the data failed validation: `problems` lists file, kind, focus, path, message; "
        "the store is unchanged",
        **_PROBLEM,
    },
}
_DOCUMENTS_QUERY = """
SELECT ?g ?doc ?file (SAMPLE(?fr) AS ?label_fr) (SAMPLE(?en) AS ?label_en) (SAMPLE(?num) AS ?number)
       (SAMPLE(?d) AS ?date) (GROUP_CONCAT(DISTINCT STR(?type); separator=" ") AS ?types) WHERE {
  GRAPH ?g { ?doc rk:sourceFile ?file }
  OPTIONAL { ?doc rdfs:label ?fr FILTER(LANG(?fr) = "fr") }
  OPTIONAL { ?doc rdfs:label ?en FILTER(LANG(?en) = "en") }
  OPTIONAL { ?doc eli:number ?num } OPTIONAL { ?doc eli:date_document ?d } OPTIONAL { ?doc a ?type }
} GROUP BY ?g ?doc ?file ORDER BY ?date ?doc"""


class DocumentIn(BaseModel):
    """The body of ``PUT /api/documents/{stem}``."""

    turtle: str = Field(
        min_length=1,
        description="the document's data file (Turtle), as in data/documents/; "
        'its document has rk:sourceFile "<stem>.txt"',
    )
    source_text: str | None = Field(
        None,
        description="the verbatim source text its quotes are checked against; "
        "required for a new document, optional when replacing one (keeps its source)",
    )


def _value(term: Any) -> str | None:
    return None if term is None else str(term.value)


def _local_page(request: Request, iri: str) -> str:
    base = request.app.state.settings.public_base
    return f"{base}/id/{iri[len(str(ID)) :]}" if iri.startswith(str(ID)) else iri


def _documents(request: Request, store: Store) -> list[dict[str, Any]]:
    ingested = store.info.get("ingested", {})
    base = request.app.state.settings.public_base
    out = []
    for r in store.query(_DOCUMENTS_QUERY):
        graph = r["g"].value
        stem = graph[len(str(GRAPH)) :] if graph.startswith(str(GRAPH)) else graph
        entry: dict[str, Any] = {
            "stem": stem,
            "iri": r["doc"].value,
            "graph": graph,
            "source_file": r["file"].value,
            "label": {"fr": _value(r["label_fr"]), "en": _value(r["label_en"])},
            "date": _value(r["date"]),
            "number": _value(r["number"]),
            "types": sorted(compact_iri(t) for t in (_value(r["types"]) or "").split()),
            "origin": "ingested" if stem in ingested else "project",
            "url": f"{base}/api/documents/{stem}",
            "page": _local_page(request, r["doc"].value),
        }
        if stem in ingested:
            entry["version"] = ingested[stem].get("version")
        out.append(entry)
    return out


def compact_iri(iri: str) -> str:
    from rdflib import URIRef

    return compact(URIRef(iri))


@router.get("/documents", summary="The source documents, with their metadata and origin (project or ingested)")
def list_documents(request: Request) -> dict[str, Any]:
    """Every text with a verbatim source file, by date: IRI, named graph, labels, date, number,
    types, whether it comes from the project's data or was ingested (with its version)."""
    return {"documents": _documents(request, request.app.state.store)}


def _versions(request: Request, settings: Settings, stem: str, current: int | None) -> list[dict[str, Any]]:
    base = request.app.state.settings.public_base
    out = []
    for entry in load_versions(IngestPaths(settings.ingest_dir), stem):
        n = int(entry["version"])
        is_current = n == current
        out.append(
            {
                "version": n,
                "graph": version_graph(stem, n) if not is_current else f"{GRAPH}{stem}",
                "current": is_current,
                "generated_at": entry.get("generated_at"),
                "invalidated_at": entry.get("invalidated_at"),
                "digest": entry.get("digest"),
                "url": f"{base}/api/documents/{stem}/versions/{n}",
            }
        )
    return out


@router.get(
    "/documents/{stem}",
    summary="One source document: metadata, provisions in order with what each says (quotes), versions",
    responses={400: {"description": "invalid stem", **_PROBLEM}, 404: {"description": "unknown document", **_PROBLEM}},
)
def get_document(stem: str, request: Request) -> Response:
    """The document's metadata, then its provisions in logical order, each with the resources it
    supports and their verbatim quotes, and (ingested documents) its versions."""
    try:
        check_stem(stem)
    except IngestError as exc:
        return problem(exc.status, exc.message)
    store: Store = request.app.state.store
    found = [d for d in _documents(request, store) if d["stem"] == stem]
    if not found:
        known = ", ".join(sorted({d["stem"] for d in _documents(request, store)}))
        return problem(404, f"no document {stem!r}; known: {known or 'none'}")
    document = found[0]
    provisions = document_structure(store, document["iri"])
    said = {str(e["iri"]) for e in provisions} | {r for e in provisions for r in e["facts"]}  # type: ignore[attr-defined]
    names = fetch_labels(store, said)
    document["provisions"] = [
        {
            "iri": entry["iri"],
            "number": entry["number"],
            "sequence": entry["sequence"],
            "label": {
                "fr": names.get(str(entry["iri"]), {}).get("fr"),
                "en": names.get(str(entry["iri"]), {}).get("en"),
            },
            "page": _local_page(request, str(entry["iri"])),
            "says": [
                {
                    "resource": resource,
                    "label": {"fr": names.get(resource, {}).get("fr"), "en": names.get(resource, {}).get("en")},
                    "quotes": quotes,
                }
                for resource, quotes in entry["facts"].items()  # type: ignore[attr-defined]
            ],
        }
        for entry in provisions
    ]
    settings: Settings = request.app.state.settings
    document["versions"] = _versions(request, settings, stem, document.get("version"))
    return JSONResponse(document)


@router.get(
    "/documents/{stem}/versions/{version}",
    summary="The Turtle of one version of an ingested document (previous versions are kept)",
    responses={200: {"content": {"text/turtle": {}}}, 404: {"description": "unknown version", **_PROBLEM}},
)
def get_version(stem: str, version: int, request: Request) -> Response:
    try:
        check_stem(stem)
    except IngestError as exc:
        return problem(exc.status, exc.message)
    settings: Settings = request.app.state.settings
    paths = IngestPaths(settings.ingest_dir)
    versions = load_versions(paths, stem)
    if not any(int(v["version"]) == version for v in versions):
        return problem(
            404,
            f"no version {version} of {stem!r}; versions: "
            f"{', '.join(str(v['version']) for v in versions) or 'none (not an ingested document)'}",
        )
    last = int(versions[-1]["version"])
    current = version == last and versions[-1].get("invalidated_at") is None
    path = paths.document(stem) if current else paths.previous(stem, version, ".ttl")
    try:
        body = path.read_bytes()
    except FileNotFoundError:
        return problem(404, f"version {version} of {stem!r} is recorded but its file is missing")
    return Response(body, media_type="text/turtle; charset=utf-8")


# ---------------------------------------------------------------------------- writes


def _actor(request: Request) -> dict[str, Any]:
    """Who asks, for the audit log: the request id (the one the service's middleware assigned,
    else a sane X-Request-ID header). No client address: the token fingerprint names the writer."""
    rid = getattr(request.state, "request_id", None) or request.headers.get("x-request-id", "")
    rid = "".join(ch for ch in str(rid) if ch.isprintable())[:128]
    return {"request_id": rid} if rid else {}


async def _authorize(request: Request, stem: str, action: str) -> tuple[dict[str, Any], Response | None]:
    """(actor, None) when the bearer token is right, else (actor, the error response): 403
    without a configured token, 401 without a token, 403 with a wrong one."""
    settings: Settings = request.app.state.settings
    actor = _actor(request)
    if not settings.ingest_token:
        return actor, problem(403, "writes are disabled on this server: no REGKG_INGEST_TOKEN is configured")
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    base = {"action": action, "stem": stem[:120], **actor}
    if scheme.lower() != "bearer" or not token:
        await run_in_threadpool(append_audit, settings, {**base, "result": "unauthorized", "status": 401})
        response = problem(401, "authentication required: send Authorization: Bearer <token>")
        response.headers["WWW-Authenticate"] = 'Bearer realm="regkg"'
        return actor, response
    fingerprint = token_fingerprint(token)
    if not hmac.compare_digest(token.encode("utf-8"), settings.ingest_token.encode("utf-8")):
        await run_in_threadpool(
            append_audit, settings, {**base, "token": fingerprint, "result": "forbidden", "status": 403}
        )
        response = problem(403, "the bearer token is not valid for writes")
        response.headers["WWW-Authenticate"] = 'Bearer realm="regkg", error="invalid_token"'
        return actor, response
    return {**actor, "token": fingerprint}, None


def _refused(exc: IngestError) -> Response:
    body: dict[str, Any] = {"status": exc.status, "title": HTTPStatus(exc.status).phrase, "detail": exc.message}
    if exc.problems:
        body["problems"] = [asdict(p) for p in exc.problems]
        body["report"] = exc.report_text()
    return JSONResponse(body, status_code=exc.status, media_type="application/problem+json")


async def _read_body(request: Request, limit: int) -> bytes | Response:
    """The body, at most ``limit`` bytes (also when sent without Content-Length)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return problem(413, f"request body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _done(request: Request, result_json: dict[str, Any], status: int, stem: str) -> Response:
    """Serve the new store before answering, so the client's next request sees its write."""
    from .app import reload_store  # the application module includes this router

    await reload_store(request.app)
    base = request.app.state.settings.public_base
    headers = {"Location": f"{base}/api/documents/{stem}"} if status == 201 else {}
    return JSONResponse({**result_json, "url": f"{base}/api/documents/{stem}"}, status_code=status, headers=headers)


@router.put(
    "/documents/{stem}",
    summary="Ingest a document (create or replace its named graph); bearer token required",
    description='Body: JSON `{"turtle": …, "source_text": …}`. The document is validated with the project\'s data '
    "and the other ingested documents (parse, privacy, quotes against source_text, SHACL, OWL consistency unless "
    "REGKG_INGEST_REASONER=false); on success a new store is swapped in atomically, the previous version is kept "
    "(`prov:wasRevisionOf` in the graph …/graph/revisions, Turtle at /api/documents/{stem}/versions/{n}), an audit "
    "line is written, and this service serves the new store before answering. 201 when created, 200 when replaced "
    "or unchanged.",
    responses=_WRITE_RESPONSES,
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": DocumentIn.model_json_schema()}}}
    },
)
async def put_document(stem: str, request: Request) -> Response:
    actor, denied = await _authorize(request, stem, "put")
    if denied is not None:
        return denied
    settings: Settings = request.app.state.settings
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        return problem(
            415, 'send the document as JSON: Content-Type: application/json, {"turtle": …, "source_text": …}'
        )
    raw = await _read_body(request, settings.max_request_bytes)
    if isinstance(raw, Response):
        return raw
    try:
        body = DocumentIn.model_validate(json.loads(raw))
    except (ValueError, ValidationError) as exc:
        detail = (
            "; ".join(f"{'.'.join(str(x) for x in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors())
            if isinstance(exc, ValidationError)
            else f"not JSON: {exc}"
        )
        return problem(400, f"invalid request body: {detail}")
    try:
        result = await run_in_threadpool(ingest_document, settings, stem, body.turtle, body.source_text, actor=actor)
    except IngestError as exc:
        return _refused(exc)
    return await _done(request, result.to_json(), 201 if result.action == "created" else 200, stem)


@router.delete(
    "/documents/{stem}",
    summary="Remove an ingested document from the store (its versions stay in the history); bearer token required",
    responses={**_WRITE_RESPONSES, 404: {"description": "no ingested document with this stem", **_PROBLEM}},
)
async def delete(stem: str, request: Request) -> Response:
    actor, denied = await _authorize(request, stem, "delete")
    if denied is not None:
        return denied
    settings: Settings = request.app.state.settings
    try:
        result = await run_in_threadpool(delete_document, settings, stem, actor=actor)
    except IngestError as exc:
        return _refused(exc)
    return await _done(request, result.to_json(), 200, stem)
