"""IRIs the project mints and the vocabularies it reuses."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

RK = Namespace("https://w3id.org/regkg/ontology#")
ID = Namespace("https://w3id.org/regkg/id/")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
OA = Namespace("http://www.w3.org/ns/oa#")
ORG = Namespace("http://www.w3.org/ns/org#")
PROV = Namespace("http://www.w3.org/ns/prov#")
TIME = Namespace("http://www.w3.org/2006/time#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
SH = Namespace("http://www.w3.org/ns/shacl#")

GRAPH = Namespace(str(ID) + "graph/")
ONTOLOGY_GRAPH = GRAPH["ontology"]
REFERENCE_GRAPH = GRAPH["reference"]
SKOLEM_BASE = str(ID) + ".well-known/genid/"

PREFIXES: dict[str, str] = {
    "rk": str(RK),
    "rks": "https://w3id.org/regkg/shapes#",
    "id": str(ID),
    "eli": str(ELI),
    "oa": str(OA),
    "org": str(ORG),
    "prov": str(PROV),
    "time": str(TIME),
    "dcat": str(DCAT),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
}

# Prefixes for serialisations: instance IRIs contain "/", which prefixed names would have to escape.
OUTPUT_PREFIXES: dict[str, str] = {k: v for k, v in PREFIXES.items() if k != "id"}


def document_graph(stem: str) -> str:
    """The named graph holding the data file data/documents/<stem>.ttl."""
    return str(GRAPH[stem])
