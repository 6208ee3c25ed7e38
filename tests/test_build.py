"""The build: named graphs, determinism, atomic replacement, refusal of broken data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from regkg import Settings, Store, ValidationFailed, build
from regkg.namespaces import GRAPH


def test_store_has_a_graph_per_document_plus_ontology_and_reference(built_store: Store) -> None:
    assert built_store.graphs() == sorted(
        [
            str(GRAPH["ansm-2022-04-05-cpc-lutathera"]),
            str(GRAPH["dgos-dss-2024-148-lumykras"]),
            str(GRAPH["ontology"]),
            str(GRAPH["reference"]),
        ]
    )


def test_build_records_its_digest_and_inputs(built_store: Store) -> None:
    info = built_store.info
    assert len(info["digest"]) == 64
    assert info["quads"] == len(built_store)
    assert "data/documents/ansm-2022-04-05-cpc-lutathera.ttl" in info["inputs"]
    assert info["checks"] == ["parse", "privacy", "quotes", "shacl", "disjointness", "owl-consistency"]


def test_same_inputs_give_the_same_store(tmp_path: Path, built_store: Store, root: Path) -> None:
    again = build(Settings(root=root, store_path=tmp_path / "store"), reasoner=False)
    assert again.info["digest"] == built_store.info["digest"]
    assert Store(tmp_path / "store").export("nquads") == built_store.export("nquads"), (
        "two builds of the same inputs exported different N-Quads"
    )


def test_blank_nodes_are_skolemised_to_stable_iris(built_store: Store) -> None:
    assert not list(built_store.query("SELECT ?s WHERE { ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) } LIMIT 1"))
    rows = list(built_store.query("SELECT ?c WHERE { ?x rk:citation ?c } LIMIT 1"))
    assert rows[0]["c"].value.startswith("https://w3id.org/regkg/id/.well-known/genid/")


def test_rebuild_swaps_the_store_atomically_and_cleans_old_builds(project_copy: Path) -> None:
    settings = Settings(root=project_copy, store_path=project_copy / "var" / "store")
    first = build(settings, reasoner=False)
    second = build(settings, reasoner=False, full=True)
    assert settings.store_path.is_symlink()
    assert settings.store_path.resolve() == second.build_dir.resolve()
    assert not first.build_dir.exists(), "the previous build directory should be removed after the swap"
    assert len(Store(settings.store_path)) == second.info["quads"]


def test_broken_data_is_refused_and_the_store_is_unchanged(project_copy: Path) -> None:
    settings = Settings(root=project_copy, store_path=project_copy / "var" / "store")
    build(settings, reasoner=False)
    before = os.readlink(settings.store_path)
    doc = project_copy / "data" / "documents" / "dgos-dss-2024-148-lumykras.ttl"
    doc.write_text(
        doc.read_text(encoding="utf-8").replace('"2024-10-08"^^xsd:date', '"2024-10-32"^^xsd:date'),
        encoding="utf-8",
    )
    with pytest.raises(ValidationFailed) as failure:
        build(settings, reasoner=False)
    assert "eli:date_document must be one xsd:date" in failure.value.report.text()
    assert "data/documents/dgos-dss-2024-148-lumykras.ttl" in failure.value.report.text()
    assert os.readlink(settings.store_path) == before, "a refused build must not touch the store"
