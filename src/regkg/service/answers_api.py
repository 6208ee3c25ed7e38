"""JSON API for chatbots: cited facts (GET /api/facts) and search (GET /api/search)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from ..answers.facts import check_facts_allowed, facts, facts_document, facts_jsonld, resolve_medicine
from ..answers.search import AnswerError, hits_document, hits_jsonld, search
from ..store import Store
from .errors import problem
from .negotiation import choose

router = APIRouter(prefix="/api", tags=["facts and search"])

ANSWER_TYPES = {"application/json": "json", "application/ld+json": "jsonld"}
FORMAT_NAMES = {"json": "json", "jsonld": "jsonld", "json-ld": "jsonld", **ANSWER_TYPES}
MEDIA = {"json": "application/json", "jsonld": "application/ld+json"}
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}, "application/ld+json": {}}},
    400: {"description": "bad parameter (problem JSON)"},
    406: {"description": "neither JSON nor JSON-LD acceptable (problem JSON)"},
}
FormatParam = Annotated[
    str | None,
    Query(alias="format", description="`json` (default) or `jsonld`; or send `Accept: application/ld+json`"),
]


def _format(request: Request, forced: str | None) -> str | None:
    if forced:
        return FORMAT_NAMES.get(forced.strip().lower())
    return choose(request.headers.get("accept"), ANSWER_TYPES, "json")


@router.get(
    "/facts",
    summary="Atomic facts with citations, as French and English sentences, for chatbots",
    description="Each fact is one statement of the graph (subject, predicate, object IRIs or value) written as a "
    "short sentence in French and in English, with its citation: the source document, the provision and the "
    "verbatim quote (an exact span of the source text). Unknown dates are said to be unknown.",
    responses={**RESPONSES, 404: {"description": "unknown medicine; the message lists the known ones"}},
)
def get_facts(
    request: Request,
    q: Annotated[
        str | None,
        Query(
            description="keep the facts whose French or English text or quote contains all these words "
            "(case- and accent-insensitive; stop words ignored), best matches first",
            examples=["pharmacovigilance", "24 octobre 2025"],
            max_length=500,
        ),
    ] = None,
    medicine: Annotated[
        str | None,
        Query(
            description="only the facts about this medicine: its measures, indications, conditions, obligations, "
            "permissions, periods, dates and documents (name, brand, INN or IRI; case- and accent-insensitive)",
            examples=["Lutathera", "sotorasib"],
            max_length=300,
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="at most this many facts")] = 50,
    fmt: FormatParam = None,
) -> Response:
    answer_format = _format(request, fmt)
    if answer_format is None:
        return problem(406, "facts are available as application/json or application/ld+json (format=json|jsonld)")
    store: Store = request.app.state.store
    try:
        check_facts_allowed(store, request.app.state.settings.facts_max_triples)
        resolved = resolve_medicine(store, medicine) if medicine and medicine.strip() else None
        found = facts(store, q=q, medicine=resolved.iri if resolved else None, limit=limit)
    except AnswerError as exc:
        return problem(exc.status, str(exc))
    render = facts_jsonld if answer_format == "jsonld" else facts_document
    body = render(found, q=q, medicine=medicine, resolved=resolved)
    return JSONResponse(body, media_type=MEDIA[answer_format])


@router.get(
    "/search",
    summary="Case- and accent-insensitive search over names, abbreviations, identifiers and quotes",
    description="Searches labels, alternative names (brands, INNs, abbreviations such as PPGL, TNE, CBNPC, NSCLC), "
    "product names, INNs, NOR and text numbers, provision numbers, titles and the verbatim quotes (a quote hit "
    "returns the resource citing it). Ranked: exact name > prefix > whole words > substring; labels > "
    "alternative labels > quotes; ties by IRI.",
    responses=RESPONSES,
)
def get_search(
    request: Request,
    q: Annotated[
        str,
        Query(
            description="what to look for",
            examples=["PPGL", "méningiome", "MSAH2426787N", "date certaine"],
            max_length=500,
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=200, description="at most this many hits")] = 20,
    types: Annotated[
        list[str] | None,
        Query(
            alias="type",
            description="keep resources of this class or its subclasses (IRI, prefixed name or regkg "
            "class name); repeatable",
            examples=["rk:MedicinalProduct"],
        ),
    ] = None,
    fmt: FormatParam = None,
) -> Response:
    answer_format = _format(request, fmt)
    if answer_format is None:
        return problem(406, "search results are available as application/json or application/ld+json")
    try:
        hits = search(request.app.state.store, q, limit=limit, types=types)
    except AnswerError as exc:
        return problem(exc.status, str(exc))
    body = hits_jsonld(q, hits) if answer_format == "jsonld" else hits_document(q, hits)
    return JSONResponse(body, media_type=MEDIA[answer_format])
