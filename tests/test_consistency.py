"""OWL consistency with HermiT: the shipped data is consistent; broken axioms are caught."""

from __future__ import annotations

import shutil

import pytest
import rdflib

from regkg.consistency import check_consistency

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs Java; .ci/run installs it")

RK = "https://w3id.org/regkg/ontology#"


@pytest.fixture(scope="module")
def ontology(root) -> rdflib.Graph:
    return rdflib.Graph().parse(root / "ontology" / "regkg.ttl")


def test_shipped_ontology_and_data_are_consistent(root, ontology: rdflib.Graph) -> None:
    parts = [("ontology/regkg.ttl", ontology)]
    for path in sorted((root / "data").glob("*/*.ttl")):
        parts.append((str(path.relative_to(root)), rdflib.Graph().parse(path)))
    assert check_consistency(parts) == []


def test_individual_in_two_disjoint_classes_is_reported_with_its_file(ontology: rdflib.Graph) -> None:
    bad = rdflib.Graph().parse(
        data=f"""
        @prefix rk: <{RK}> .
        <https://w3id.org/regkg/id/test/x> a rk:MedicinalProduct , rk:Company .""",
        format="turtle",
    )
    problems = check_consistency([("ontology/regkg.ttl", ontology), ("data/documents/bad.ttl", bad)])
    assert [p.file for p in problems] == ["data/documents/bad.ttl"]
    assert "inconsistent" in problems[0].message


def test_unsatisfiable_class_is_reported(ontology: rdflib.Graph) -> None:
    bad = rdflib.Graph().parse(
        data=f"""
        @prefix rk: <{RK}> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        @prefix owl: <http://www.w3.org/2002/07/owl#> .
        rk:Chimera a owl:Class ; rdfs:subClassOf rk:MedicinalProduct , rk:Obligation .""",
        format="turtle",
    )
    problems = check_consistency([("ontology/regkg.ttl", ontology + bad)])
    assert any(p.focus == f"<{RK}Chimera>" and "unsatisfiable" in p.message for p in problems), problems
