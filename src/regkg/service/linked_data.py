"""Linked data: every minted IRI dereferences under /id/ (HTML for people, RDF by Accept), and
the ontology under /ontology."""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from rdflib import URIRef

from ..describe import describe, document_structure, exists, rdf_description
from ..describe import labels as fetch_labels
from ..namespaces import ID, ONTOLOGY_GRAPH, OUTPUT_PREFIXES, RK
from ..quotes import in_context
from ..results import GRAPH_FORMATS
from ..settings import Settings
from ..store import Store
from ..terms import compact
from .errors import problem
from .negotiation import CONTENT_TYPES, FORMAT_ALIASES, choose

router = APIRouter(tags=["linked data"])
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

RDF_OFFERS = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/turtle": "turtle",
    "application/ld+json": "jsonld",
    "application/n-triples": "ntriples",
    "application/rdf+xml": "rdfxml",
}
DOCUMENT_TYPES = {str(RK.Decision), str(RK.InformationNote), str(RK.LegalDocument), str(RK.TherapeuticUseProtocol)}


def href(iri: str) -> str:
    """Where a browser should go for an IRI: local pages for regkg IRIs, the IRI itself otherwise."""
    if iri.startswith(str(ID)):
        return "/id/" + iri[len(str(ID)) :]
    if iri.startswith(str(RK)):
        return "/ontology#" + iri[len(str(RK)) :]
    return iri if iri.startswith(("http://", "https://")) else ""  # never a javascript: or data: link


@lru_cache(maxsize=32)
def _source_text(path: str) -> str | None:
    p = Path(path)
    return p.read_text(encoding="utf-8") if p.is_file() else None


def _format(request: Request, explicit: str | None) -> str | None:
    if explicit:
        fmt = FORMAT_ALIASES.get(explicit.lower(), explicit.lower())
        return fmt if fmt in set(RDF_OFFERS.values()) else None
    return choose(request.headers.get("accept"), RDF_OFFERS, "turtle")


def _rdf_response(triples: list[ox.Triple], fmt: str) -> Response:
    body = ox.serialize(triples, format=GRAPH_FORMATS[fmt], prefixes=OUTPUT_PREFIXES if fmt == "turtle" else None)
    return Response(body or b"", media_type=CONTENT_TYPES[fmt], headers={"Vary": "Accept"})


def _valid_iri(iri: str) -> bool:
    """Whether the text is an IRI (then it cannot break out of ``<…>`` in a query)."""
    try:
        ox.NamedNode(iri)
    except ValueError:  # UnicodeEncodeError (lone surrogates) included
        return False
    return True


def _not_found(fmt: str | None, iri: str) -> Response:
    message = f"no resource {iri} in this dataset"
    if fmt == "html":
        return HTMLResponse(f"<!doctype html><title>Not found</title><h1>404</h1><p>{html.escape(message)}</p>",
                            status_code=404)  # fmt: skip
    return problem(404, message)


def _value(term: object, labels: dict[str, dict[str, str]]) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        found = labels.get(term.value, {})
        label = found.get("fr") or found.get("en") or found.get("") or compact(URIRef(term.value))
        return {"href": href(term.value), "iri": term.value, "label": label}
    if isinstance(term, ox.Literal):
        dt = term.datatype.value
        shown = "" if term.language or dt.endswith("#string") else compact(URIRef(dt))
        return {"label": term.value, "lang": term.language or "", "datatype": shown}
    return {"label": str(term)}


def _label(iri: str, labels: dict[str, dict[str, str]], lang: str = "fr") -> str:
    found = labels.get(iri, {})
    return found.get(lang) or found.get("fr") or found.get("en") or found.get("") or compact(URIRef(iri))


def render_resource(request: Request, store: Store, iri: str) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    d = describe(store, iri)
    grouped: dict[str, list[dict[str, str]]] = {}
    for p, o in d.outgoing:
        grouped.setdefault(p, []).append(_value(o, d.labels))
    outgoing = [{"predicate": p, "predicate_href": href(p), "predicate_label": _label(p, d.labels), "values": vals}
                for p, vals in grouped.items()]  # fmt: skip
    incoming = [{"subject": s, "subject_href": href(s), "subject_label": _label(s, d.labels),
                 "predicate": p, "predicate_href": href(p), "predicate_label": _label(p, d.labels)}
                for s, p in d.incoming]  # fmt: skip
    citations = []
    for c in d.citations:
        text = _source_text(str(settings.sources_dir / c.source_file)) if c.source_file else None
        citations.append({
            "quote": c.quote,
            "context": in_context(text, c.quote) if text else None,
            "document_href": href(c.document), "document_label": _label(c.document, d.labels),
            "provision_href": href(c.provision), "provision_label": _label(c.provision, d.labels),
        })  # fmt: skip
    structure = []
    if DOCUMENT_TYPES.intersection(d.types):
        provisions = document_structure(store, iri)
        names = fetch_labels(store, {p["iri"] for p in provisions} | {f for p in provisions for f in p["facts"]})
        for p in provisions:
            facts = [{"href": href(f), "label": _label(f, names), "quotes": q} for f, q in p["facts"].items()]
            structure.append({"href": href(p["iri"]), "label": _label(p["iri"], names), "facts": facts})
    types = [{"iri": t, "href": href(t), "label": _label(t, d.labels)} for t in d.types]
    context = {
        "iri": iri, "page_url": href(iri),
        "title_fr": _label(iri, d.labels, "fr"), "title_en": _label(iri, d.labels, "en"),
        "types": types, "outgoing": outgoing, "incoming": incoming, "citations": citations,
        "structure": structure, "graphs": d.graphs,
    }  # fmt: skip
    return templates.TemplateResponse(request, "resource.html", context, headers={"Vary": "Accept"})


@router.get("/id/{path:path}", summary="Dereference a regkg IRI (HTML, Turtle, JSON-LD, N-Triples, RDF/XML)")
def resource(path: str, request: Request, format: str | None = None) -> Response:
    """The resource `https://w3id.org/regkg/id/{path}`: a page for browsers, its concise
    bounded description (plus labels of linked resources) for RDF clients."""
    iri = str(ID) + path
    fmt = _format(request, format)
    store: Store = request.app.state.store
    if not _valid_iri(iri) or not exists(store, iri):
        return _not_found(fmt, iri)
    if fmt is None:
        return problem(406, "available as text/html, text/turtle, application/ld+json, application/n-triples, "
                            "application/rdf+xml")  # fmt: skip
    if fmt == "html":
        return render_resource(request, store, iri)
    return _rdf_response(rdf_description(store, iri), fmt)


@router.get("/ontology", summary="The regkg ontology (HTML, Turtle, JSON-LD, N-Triples, RDF/XML)")
def ontology(request: Request, format: str | None = None) -> Response:
    fmt = _format(request, format)
    store: Store = request.app.state.store
    if fmt is None:
        return problem(406, "available as text/html, text/turtle, application/ld+json, application/n-triples")
    if fmt != "html":
        query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?s ?p ?o }} }}"
        triples = [ox.Triple(q.subject, q.predicate, q.object) for q in store.query(query)]
        return _rdf_response(triples, fmt)
    rows = store.query(f"""
        SELECT ?term ?kind ?fr ?en ?def WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{
          VALUES ?kind {{ owl:Class owl:ObjectProperty owl:DatatypeProperty }}
          ?term a ?kind ; rdfs:label ?fr , ?en ; skos:definition ?def .
          FILTER(STRSTARTS(STR(?term), "{RK}") && LANG(?fr) = "fr" && LANG(?en) = "en") }} }}
        ORDER BY ?kind ?term""")
    terms = [{"name": r["term"].value[len(str(RK)):], "iri": r["term"].value, "kind": r["kind"].value.rsplit("#", 1)[1],
              "fr": r["fr"].value, "en": r["en"].value, "definition": r["def"].value} for r in rows]  # fmt: skip
    return templates.TemplateResponse(request, "ontology.html", {"terms": terms}, headers={"Vary": "Accept"})
