"""Dataset description (VoID + DCAT), dumps and the JSON-LD context."""

from __future__ import annotations

import json
from functools import lru_cache

import rdflib
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, RDFS, XSD

from .. import __version__
from ..namespaces import ONTOLOGY_GRAPH, OUTPUT_PREFIXES, PREFIXES, RK
from ..settings import Settings
from ..store import DUMPS, Store
from .errors import problem
from .linked_data import _format
from .negotiation import CONTENT_TYPES

router = APIRouter(tags=["dataset"])
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
LICENSE = rdflib.URIRef("https://creativecommons.org/licenses/by/4.0/")
_RDFLIB = {"turtle": "turtle", "ntriples": "nt", "rdfxml": "xml", "jsonld": "json-ld"}


def _count(store: Store, query: str) -> int:
    rows = list(store.query(query))
    return int(rows[0][0].value) if rows and rows[0][0] is not None else 0


@lru_cache(maxsize=4)
def _statistics(store: Store) -> dict[str, object]:
    """Counts over the union of graphs (computed once per store handle)."""
    return {
        "triples": len(store),
        "entities": _count(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }"),
        "classes": [(r["c"].value, int(r["n"].value)) for r in store.query(
            "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY ?c")],
        "properties": [(r["p"].value, int(r["n"].value)) for r in store.query(
            "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY ?p")],
        "sources": [(r["d"].value, r["f"].value, r["l"].value) for r in store.query(
            'SELECT ?d ?f ?l WHERE { ?d rk:sourceFile ?f ; rdfs:label ?l FILTER(LANG(?l) = "en") } ORDER BY ?d')],
    }  # fmt: skip


def void_graph(settings: Settings, store: Store) -> rdflib.Graph:
    base = settings.public_base
    stats = _statistics(store)
    info = store.info
    g = rdflib.Graph()
    for prefix, ns in (("void", VOID), ("dcat", DCAT), ("dcterms", DCTERMS), ("sd", SD), ("foaf", FOAF)):
        g.bind(prefix, ns)
    ds = rdflib.URIRef(f"{base}/.well-known/void#dataset")
    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCTERMS.title, rdflib.Literal("regkg: réglementation française de l'accès aux médicaments", lang="fr")))
    g.add((ds, DCTERMS.title, rdflib.Literal("regkg: French drug-access regulations", lang="en")))
    g.add((ds, DCTERMS.description, rdflib.Literal(
        "Knowledge graph of French drug-access regulatory texts; every fact cites its source document, "
        "provision and verbatim words.", lang="en")))  # fmt: skip
    g.add((ds, DCTERMS.license, LICENSE))
    g.add((ds, OWL.versionInfo, rdflib.Literal(f"{__version__}+{info.get('digest', '')[:16]}")))
    g.add((ds, DCTERMS.identifier, rdflib.Literal(info.get("digest", ""))))
    g.add((ds, VOID.sparqlEndpoint, rdflib.URIRef(f"{base}/sparql")))
    g.add((ds, VOID.uriSpace, rdflib.Literal("https://w3id.org/regkg/id/")))
    g.add((ds, VOID.rootResource, rdflib.URIRef(f"{base}/ontology")))
    for vocab in sorted(set(PREFIXES.values()) - {str(XSD), str(RDF), str(RDFS), str(OWL)}):
        g.add((ds, VOID.vocabulary, rdflib.URIRef(vocab)))
    g.add((ds, VOID.triples, rdflib.Literal(stats["triples"], datatype=XSD.integer)))
    g.add((ds, VOID.entities, rdflib.Literal(stats["entities"], datatype=XSD.integer)))
    g.add((ds, VOID.classes, rdflib.Literal(len(stats["classes"]), datatype=XSD.integer)))  # type: ignore[arg-type]
    g.add((ds, VOID.properties, rdflib.Literal(len(stats["properties"]), datatype=XSD.integer)))  # type: ignore[arg-type]
    for cls, n in stats["classes"]:  # type: ignore[attr-defined]
        part = rdflib.BNode()
        g.add((ds, VOID.classPartition, part))
        g.add((part, VOID["class"], rdflib.URIRef(cls)))
        g.add((part, VOID.entities, rdflib.Literal(n, datatype=XSD.integer)))
    for prop, n in stats["properties"]:  # type: ignore[attr-defined]
        part = rdflib.BNode()
        g.add((ds, VOID.propertyPartition, part))
        g.add((part, VOID.property, rdflib.URIRef(prop)))
        g.add((part, VOID.triples, rdflib.Literal(n, datatype=XSD.integer)))
    for graph, n in sorted(info.get("graphs", {}).items()):
        sub = rdflib.URIRef(graph)
        g.add((ds, VOID.subset, sub))
        g.add((sub, RDF.type, VOID.Dataset))
        g.add((sub, SD.name, sub))
        g.add((sub, VOID.triples, rdflib.Literal(n, datatype=XSD.integer)))
    for doc, file, label in stats["sources"]:  # type: ignore[attr-defined]
        g.add((ds, DCTERMS.source, rdflib.URIRef(doc)))
        g.add((rdflib.URIRef(doc), RDFS.label, rdflib.Literal(label, lang="en")))
        g.add((rdflib.URIRef(doc), DCTERMS.source, rdflib.Literal(f"data/sources/{file}")))
    for name, media in DUMPS.items():
        url = rdflib.URIRef(f"{base}/download/{name}")
        g.add((ds, VOID.dataDump, url))
        dist = rdflib.URIRef(f"{base}/download/{name}#distribution")
        g.add((ds, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCAT.downloadURL, url))
        g.add((dist, DCAT.mediaType, rdflib.URIRef(f"https://www.iana.org/assignments/media-types/{media}")))
        g.add(
            (dist, DCAT.compressFormat, rdflib.URIRef("https://www.iana.org/assignments/media-types/application/gzip"))
        )
        g.add((dist, DCTERMS.license, LICENSE))
    service = rdflib.URIRef(f"{base}/sparql")
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCAT.endpointURL, service))
    g.add((service, DCAT.servesDataset, ds))
    g.add((service, DCTERMS.conformsTo, rdflib.URIRef("https://www.w3.org/TR/sparql11-protocol/")))
    g.add((ds, DCAT.landingPage, rdflib.URIRef(f"{base}/")))
    return g


@router.get("/.well-known/void", summary="Dataset description (VoID + DCAT)")
def void(request: Request, format: str | None = None) -> Response:
    fmt = _format(request, format)
    if fmt is None or fmt not in (*_RDFLIB, "html"):
        return problem(406, "available as text/turtle, application/ld+json, application/n-triples, application/rdf+xml")
    fmt = "turtle" if fmt == "html" else fmt  # Turtle is readable enough in a browser
    g = void_graph(request.app.state.settings, request.app.state.store)
    media = "text/turtle; charset=utf-8" if fmt == "turtle" else CONTENT_TYPES[fmt]
    return Response(g.serialize(format=_RDFLIB[fmt], encoding="utf-8"), media_type=media, headers={"Vary": "Accept"})


@router.get("/download/", summary="List of dataset dumps")
def downloads(request: Request) -> dict[str, object]:
    base = request.app.state.settings.public_base
    store: Store = request.app.state.store
    return {"dumps": [{"url": f"{base}/download/{name}", "media_type": media, "encoding": "gzip",
                       "available": store.dump_path(name) is not None} for name, media in DUMPS.items()],
            "license": str(LICENSE)}  # fmt: skip


@router.get("/download/{name}", summary="A gzipped dump of the whole dataset with its named graphs")
def download(name: str, request: Request) -> Response:
    store: Store = request.app.state.store
    path = store.dump_path(name)
    if path is None:
        return problem(404, f"no dump {name!r}; available: {', '.join(DUMPS)} (rebuild the store if missing)")
    return FileResponse(path, media_type="application/gzip", filename=name,
                        headers={"Content-Type": "application/gzip", "X-Content-Media-Type": DUMPS[name]})  # fmt: skip


@lru_cache(maxsize=4)
def jsonld_context(store: Store) -> dict[str, object]:
    """A JSON-LD context: the prefixes and every regkg property by its local name."""
    context: dict[str, object] = dict(OUTPUT_PREFIXES)
    rows = store.query(f"""SELECT ?p ?kind WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{
        VALUES ?kind {{ owl:ObjectProperty owl:DatatypeProperty }} ?p a ?kind }} }} ORDER BY ?p""")
    for r in rows:
        iri = r["p"].value
        if not iri.startswith(str(RK)):
            continue
        entry: dict[str, str] = {"@id": iri}
        if r["kind"].value.endswith("ObjectProperty"):
            entry["@type"] = "@id"
        context[iri[len(str(RK)) :]] = entry
    return {"@context": context}


@router.get("/context.jsonld", summary="JSON-LD context for API clients")
def context(request: Request) -> Response:
    body = json.dumps(jsonld_context(request.app.state.store), indent=1, ensure_ascii=False)
    return Response(body, media_type="application/ld+json")
