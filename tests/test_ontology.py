"""The ontology: OWL 2 header, reuse of standard vocabularies, documented terms."""

from __future__ import annotations

import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SKOS

RK = "https://w3id.org/regkg/ontology#"


def load(root) -> rdflib.Graph:
    return rdflib.Graph().parse(root / "ontology" / "regkg.ttl")


def test_ontology_has_a_version_iri(root) -> None:
    g = load(root)
    onto = rdflib.URIRef("https://w3id.org/regkg/ontology")
    assert (onto, RDF.type, OWL.Ontology) in g
    assert str(g.value(onto, OWL.versionIRI)).startswith("https://w3id.org/regkg/ontology/")


def test_every_regkg_term_has_french_and_english_labels_and_a_definition(root) -> None:
    g = load(root)
    missing = []
    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty):
        for term in g.subjects(RDF.type, kind):
            if not str(term).startswith(RK):
                continue
            langs = {lbl.language for lbl in g.objects(term, RDFS.label)}
            if not {"fr", "en"} <= langs or g.value(term, SKOS.definition) is None:
                missing.append(str(term))
    assert not missing, f"terms lacking fr/en labels or a definition: {missing}"


def test_standard_vocabularies_are_reused_not_reinvented(root) -> None:
    g = load(root)
    parents = {str(o) for o in g.objects(None, RDFS.subClassOf)} | {str(o) for o in g.objects(None, RDFS.subPropertyOf)}
    for ns in (
        "http://data.europa.eu/eli/ontology#",
        "http://www.w3.org/ns/prov#",
        "http://www.w3.org/ns/oa#",
        "http://www.w3.org/ns/org#",
        "http://www.w3.org/2006/time#",
        "http://www.w3.org/2004/02/skos/core#",
        "http://purl.org/dc/terms/",
    ):
        assert any(p.startswith(ns) for p in parents), f"no regkg term specialises a term of {ns}"


def test_the_access_frameworks_form_a_skos_scheme_with_legal_basis(root) -> None:
    g = rdflib.Graph().parse(root / "data" / "reference" / "frameworks.ttl")
    scheme = rdflib.URIRef("https://w3id.org/regkg/id/framework")
    top = set(g.objects(scheme, SKOS.hasTopConcept))
    names = {str(t).rsplit("/", 1)[1] for t in top}
    assert names == {"aap", "aac", "cpc", "continuity", "free-supply", "common-law", "atu", "rtu"}
    for concept in top - {rdflib.URIRef("https://w3id.org/regkg/id/framework/free-supply")}:
        assert g.value(concept, rdflib.URIRef(RK + "legalBasis")) is not None, f"{concept} lacks a legal basis"
