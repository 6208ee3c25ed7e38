"""Every quote the graph carries is an exact span of its source text."""

from __future__ import annotations

import re
from pathlib import Path

from regkg import Store, normalize
from regkg.datafiles import DataFile
from regkg.loading import prepare
from regkg.namespaces import document_graph
from regkg.quotes import check_quotes_store
from regkg.validation import Origins, dataset_store

QUOTES = """
SELECT ?quote ?file WHERE {
  ?holder rk:citation ?c . ?c oa:hasSource ?doc ; oa:hasSelector/oa:exact ?quote .
  ?doc rk:sourceFile ?file .
}"""


def test_every_quote_in_the_store_is_an_exact_span_of_its_source(built_store: Store, root: Path) -> None:
    rows = list(built_store.query(QUOTES))
    assert len(rows) > 100, f"expected the data to carry many quotes, found {len(rows)}"
    texts: dict[str, str] = {}
    missing = []
    for row in rows:
        name = row["file"].value
        if name not in texts:
            texts[name] = normalize((root / "data" / "sources" / name).read_text(encoding="utf-8"))
        if normalize(row["quote"].value) not in texts[name]:
            missing.append(f"{name}: «{row['quote'].value}»")
    assert not missing, "quotes not found verbatim in data/sources/:\n" + "\n".join(missing)


def test_every_citation_has_a_document_a_provision_and_a_quote(built_store: Store) -> None:
    rows = list(
        built_store.query("""
        SELECT ?c WHERE { ?x rk:citation ?c .
          FILTER NOT EXISTS { ?c oa:hasSource ?d ; rk:provision ?p ; oa:hasSelector/oa:exact ?q } }""")
    )
    assert not rows, f"incomplete citations: {[r['c'].value for r in rows]}"


def test_sources_are_copied_verbatim_from_shared(root: Path) -> None:
    shared = root.parent / "shared" / "sources"
    if not shared.is_dir():  # a clone without the workspace next to it
        return
    for path in shared.glob("*.txt"):
        assert (root / "data" / "sources" / path.name).read_bytes() == path.read_bytes(), f"{path.name} differs"


def test_a_misquote_is_reported_with_the_matching_prefix(tmp_path: Path, root: Path) -> None:
    doc = tmp_path / "doc.ttl"
    doc.write_text(
        """
        @base <https://w3id.org/regkg/id/> .
        @prefix rk: <https://w3id.org/regkg/ontology#> . @prefix oa: <http://www.w3.org/ns/oa#> .
        <test/doc> rk:sourceFile "ansm-2022-04-05-cpc-lutathera.txt" .
        <test/fact> rk:citation [ oa:hasSource <test/doc> ; rk:provision <test/doc> ;
            oa:hasSelector [ oa:exact "Le présent CPC est valable pour une durée de deux ans" ] ] .
    """,
        encoding="utf-8",
    )
    prepared = [prepare(DataFile(doc, document_graph("doc"), "document"), tmp_path)]
    assert prepared[0].ok, prepared[0].problems
    problems = check_quotes_store(dataset_store(prepared), root / "data" / "sources", Origins(prepared, tmp_path))
    assert len(problems) == 1, problems
    assert "not an exact span" in problems[0].message
    assert "pour une durée de " in problems[0].message, "the report should show how far the quote matched"
    assert problems[0].focus == "id:test/fact"
    assert problems[0].file == "doc.ttl"


def test_whitespace_is_normalised_in_quotes_and_sources() -> None:
    assert normalize("du\n er \n\n  Phéo") == "du er Phéo"
    assert re.fullmatch(r"\S+( \S+)*", normalize("  a \t b\n")), "no leading, trailing or double spaces"
