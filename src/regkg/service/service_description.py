"""SPARQL 1.1 Service Description of the endpoint."""

from __future__ import annotations

import rdflib
from rdflib.namespace import DCTERMS, RDF, RDFS, XSD

from ..settings import Settings
from ..store import Store

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = rdflib.Namespace("http://www.w3.org/ns/formats/")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")

_RDFLIB_FORMATS = {"turtle": "turtle", "ntriples": "nt", "rdfxml": "xml", "jsonld": "json-ld",
                   "nquads": "nquads", "trig": "trig"}  # fmt: skip


def description_graph(settings: Settings, store: Store | None) -> rdflib.Graph:
    base = settings.public_base
    g = rdflib.Graph()
    g.bind("sd", SD)
    g.bind("void", VOID)
    service = rdflib.URIRef(f"{base}/sparql")
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, service))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    g.add((service, RDFS.label, rdflib.Literal("regkg SPARQL endpoint (read-only)", lang="en")))
    g.add((service, SD.feature, SD.UnionDefaultGraph))
    if settings.service_allowlist:
        g.add((service, SD.feature, SD.BasicFederatedQuery))
    for fmt in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                "Turtle", "N-Triples", "RDF_XML", "JSON-LD", "N-Quads", "TriG"):  # fmt: skip
        g.add((service, SD.resultFormat, FORMATS[fmt]))
    dataset = rdflib.URIRef(f"{base}/.well-known/void#dataset")
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    g.add((dataset, RDF.type, VOID.Dataset))
    default_graph = rdflib.BNode("defaultGraph")
    g.add((dataset, SD.defaultGraph, default_graph))
    g.add((default_graph, RDF.type, SD.Graph))
    g.add((default_graph, RDFS.comment, rdflib.Literal("The union of all named graphs.", lang="en")))
    if store is not None:
        info = store.info
        g.add((default_graph, VOID.triples, rdflib.Literal(info.get("quads", len(store)), datatype=XSD.integer)))
        for name in store.graphs():
            named = rdflib.BNode()
            g.add((dataset, SD.namedGraph, named))
            g.add((named, SD.name, rdflib.URIRef(name)))
            count = info.get("graphs", {}).get(name)
            if count is not None:
                graph_node = rdflib.BNode()
                g.add((named, SD.graph, graph_node))
                g.add((graph_node, VOID.triples, rdflib.Literal(count, datatype=XSD.integer)))
        g.add((dataset, DCTERMS.identifier, rdflib.Literal(info.get("digest", ""))))
    return g


def service_description(settings: Settings, fmt: str, store: Store | None = None) -> bytes:
    return description_graph(settings, store).serialize(format=_RDFLIB_FORMATS[fmt], encoding="utf-8")
