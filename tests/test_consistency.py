"""OWL consistency with HermiT: the shipped data is consistent; broken axioms are caught."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS

from regkg.consistency import INSTANCE_CHECK_AXIOMS, check_consistency, check_instance_disjointness

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs Java; .ci/run installs it")

RK = "https://w3id.org/regkg/ontology#"
_NON_LOGICAL = {RDFS.label, RDFS.comment, RDFS.seeAlso, RDFS.isDefinedBy, OWL.versionIRI, OWL.versionInfo, OWL.members}
_OWL_DECLARATIONS = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.Ontology}


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


def _instance_problems(root: Path, tmp_path: Path, turtle: str) -> list:
    """Validate the ontology plus one document with the store-based instance check."""
    from regkg.datafiles import DataFile
    from regkg.loading import prepare
    from regkg.namespaces import ONTOLOGY_GRAPH, document_graph
    from regkg.validation import Origins, dataset_store

    doc = tmp_path / "bad.ttl"
    doc.write_text(f"@prefix rk: <{RK}> .\n" + turtle, encoding="utf-8")
    prepared = [
        prepare(DataFile(root / "ontology" / "regkg.ttl", str(ONTOLOGY_GRAPH), "ontology"), tmp_path),
        prepare(DataFile(doc, document_graph("bad"), "document"), tmp_path),
    ]
    ontology = rdflib.Graph().parse(root / "ontology" / "regkg.ttl")
    return check_instance_disjointness(dataset_store(prepared), ontology, Origins(prepared, tmp_path))


def test_instance_check_finds_two_disjoint_types_without_a_reasoner(root: Path, tmp_path: Path) -> None:
    problems = _instance_problems(
        root, tmp_path, "<https://w3id.org/regkg/id/test/x> a rk:MedicinalProduct , rk:Company ."
    )
    assert [p.file for p in problems] == ["bad.ttl"], problems
    assert problems[0].focus == "id:test/x" and "disjoint" in problems[0].message


def test_instance_check_infers_types_from_domains_and_ranges(root: Path, tmp_path: Path) -> None:
    # rk:decidingAuthority points to an rk:Authority; a company there is both (disjoint classes).
    problems = _instance_problems(
        root,
        tmp_path,
        "<https://w3id.org/regkg/id/test/f> rk:decidingAuthority <https://w3id.org/regkg/id/test/c> .\n"
        "<https://w3id.org/regkg/id/test/c> a rk:Company .",
    )
    assert [p.focus for p in problems] == ["id:test/c"], problems


def test_shipped_data_passes_the_instance_check(built_store, root: Path) -> None:
    from regkg import Settings
    from regkg.datafiles import project_files
    from regkg.validation import validate

    settings = Settings(root=root, store_path=root / "var" / "unused")
    report, _ = validate(project_files(settings), settings, reasoner=False)
    assert "disjointness" in report.checks and report.ok, report.text()


def test_the_ontology_uses_only_axioms_the_instance_check_covers(ontology: rdflib.Graph) -> None:
    """If this fails, the ontology gained an axiom (functional property, cardinality, ...) that
    can make instance data inconsistent: extend consistency.check_instance_disjointness."""
    from regkg.terms import compact

    logical = {
        compact(p) for _s, p, _o in ontology if str(p).startswith((str(RDFS), str(OWL))) and p not in _NON_LOGICAL
    } | {
        compact(o)
        for o in ontology.objects(None, RDF.type)
        if str(o).startswith(str(OWL)) and o not in _OWL_DECLARATIONS
    }
    assert logical <= INSTANCE_CHECK_AXIOMS, f"uncovered axioms: {sorted(logical - INSTANCE_CHECK_AXIOMS)}"
