"""Synthetic corpus (regkg.synth): deterministic per seed, fictitious by construction, and valid: it builds
(parse, privacy, quotes, SHACL, OWL consistency with HermiT), answers golden-style questions and is
answered by the applicability engine."""

from __future__ import annotations

import argparse
import hashlib
import re
from pathlib import Path

import pytest

from regkg import Settings, Store, build, normalize
from regkg.answers.applicability import Facts, applicability
from regkg.synth import FICTION_LINE, SynthError, SynthSummary, synthesize

ROOT = Path(__file__).resolve().parents[1]
SYNTH = "https://w3id.org/regkg/id/synth/"
ALL_KINDS = {"cpc", "cpc-renewal", "aap", "continuity-note", "free-supply-note", "aac", "aac-extension"}
# A smallest corpus (found by search) whose 8 texts cover every kind of text (notes, renewals, extensions)
# and a period that hangs on an unknown publication date.
COVERING_SEED, COVERING_N = 121, 8


def synthetic_files(root: Path) -> dict[str, str]:
    """SHA-256 of every synthetic file under data/, by path relative to the root."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((root / "data").rglob("*"))
        if p.is_file() and p.name.startswith(("synth-", "synthetic-"))
    }


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthSummary]:
    out = tmp_path_factory.mktemp("synth") / "n3-seed7"
    return out, synthesize(out, 3, 7, project_root=ROOT)


@pytest.fixture(scope="module")
def small_store(small: tuple[Path, SynthSummary]) -> Store:
    """N=3, seed 7, built without the reasoner (SHACL, quotes, privacy)."""
    out, _ = small
    build(Settings(root=out, store_path=out / "var" / "store"), reasoner=False)
    return Store(out / "var" / "store")


@pytest.fixture(scope="module")
def covering_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, SynthSummary, list[str]]:
    """Every kind of text, built with the full validation including HermiT (OWL consistency)."""
    out = tmp_path_factory.mktemp("synth") / "covering"
    summary = synthesize(out, COVERING_N, COVERING_SEED, project_root=ROOT)
    result = build(Settings(root=out, store_path=out / "var" / "store"), reasoner=True)
    return Store(out / "var" / "store"), summary, result.report.checks


def ask(store: Store, query: str) -> bool:
    return bool(store.query(query))


# ============================================================================ files


def test_writes_sources_documents_and_a_buildable_root(small: tuple[Path, SynthSummary]) -> None:
    out, summary = small
    documents = sorted((out / "data" / "documents").glob("*.ttl"))
    sources = sorted((out / "data" / "sources").glob("*.txt"))
    assert summary.documents == len(documents) == len(sources) == 3
    assert [p.stem for p in documents] == [p.stem for p in sources]
    assert all(p.name.startswith("synth-") for p in documents)
    assert summary.kinds == {"cpc": 1, "aap": 1, "aac": 1}
    assert summary.files == 8 and summary.triples > 900 and summary.bytes > 0
    for name in summary.reference_files:
        assert (out / name).is_file() and Path(name).name.startswith("synthetic-")
    # a project root: ontology, shapes, real reference data and saved queries are copied beside the corpus
    assert (out / "ontology" / "regkg.ttl").is_file() and (out / "ontology" / "shapes.ttl").is_file()
    assert (out / "data" / "reference" / "legal-codes.ttl").is_file()
    assert (out / "queries").is_dir()


def test_same_seed_gives_the_same_bytes_and_another_seed_differs(
    tmp_path: Path, small: tuple[Path, SynthSummary]
) -> None:
    out, _ = small
    again = tmp_path / "again"
    synthesize(again, 3, 7, project_root=ROOT)
    assert synthetic_files(again) == synthetic_files(out)
    other = tmp_path / "other"
    synthesize(other, 3, 8, project_root=ROOT)
    assert synthetic_files(other) != synthetic_files(out)


def test_a_smaller_corpus_is_a_prefix_and_rewriting_removes_stale_files(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    synthesize(root, 6, 7, project_root=ROOT)
    six = synthetic_files(root)
    synthesize(root, 3, 7, project_root=ROOT)
    three = {k: v for k, v in synthetic_files(root).items() if "/reference/" not in k}
    assert len(three) == 6, "3 texts = 3 sources + 3 documents: the older ones were removed"
    assert all(six[k] == v for k, v in three.items())


def test_refuses_a_root_with_real_documents_unless_allowed(tmp_path: Path) -> None:
    real = tmp_path / "project"
    (real / "data" / "documents").mkdir(parents=True)
    (real / "data" / "documents" / "ansm-2022-04-05-cpc-lutathera.ttl").write_bytes(
        (ROOT / "data" / "documents" / "ansm-2022-04-05-cpc-lutathera.ttl").read_bytes()
    )
    with pytest.raises(SynthError, match="non-synthetic documents"):
        synthesize(real, 2, 1, project_root=ROOT)
    assert not list((real / "data" / "documents").glob("synth-*")), "nothing written when refused"
    summary = synthesize(real, 2, 1, project_root=ROOT, allow_real=True)
    assert summary.documents == 2
    assert (real / "data" / "documents" / "ansm-2022-04-05-cpc-lutathera.ttl").is_file(), "real texts are kept"
    with pytest.raises(SynthError):
        synthesize(tmp_path / "negative", -1, 1, project_root=ROOT)


def test_every_text_says_it_is_fictitious_and_invents_its_names(small: tuple[Path, SynthSummary]) -> None:
    out, _ = small
    for source in sorted((out / "data" / "sources").glob("*.txt")):
        assert source.read_text(encoding="utf-8").splitlines()[0] == FICTION_LINE
    for document in sorted((out / "data" / "documents").glob("*.ttl")):
        text = document.read_text(encoding="utf-8")
        minted = set(re.findall(r"^<([^>]+)> a ", text, re.MULTILINE))
        assert minted and all(iri.startswith("synth/") for iri in minted), minted - {i for i in minted if "synth/" in i}
        for name in re.findall(r'rk:productName "([^"]+)"', text):
            assert re.fullmatch(r"[A-Z][a-z]+(mab|nib|tide|siran)", name), name
        for code in re.findall(r'rk:atcCode "([^"]+)"', text):
            assert re.fullmatch(r"Z[0-9]{2}SY[0-9]{2}", code), code


def test_every_quote_is_an_exact_span_of_its_source(small: tuple[Path, SynthSummary]) -> None:
    out, _ = small
    for document in sorted((out / "data" / "documents").glob("*.ttl")):
        source = normalize((out / "data" / "sources" / f"{document.stem}.txt").read_text(encoding="utf-8"))
        quotes = re.findall(r'oa:exact "((?:[^"\\]|\\.)*)"', document.read_text(encoding="utf-8"))
        assert len(quotes) > 20
        assert all(normalize(q.replace('\\"', '"')) in source for q in quotes)


# ============================================================================ build and answers


def test_builds_without_the_reasoner(small_store: Store) -> None:
    graphs = {row["g"].value for row in small_store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")}
    assert sum(g.startswith("https://w3id.org/regkg/id/graph/synth-") for g in graphs) == 3


def test_every_kind_builds_with_the_reasoner(covering_store: tuple[Store, SynthSummary, list[str]]) -> None:
    _store, summary, checks = covering_store
    assert set(summary.kinds) == ALL_KINDS
    assert "owl-consistency" in checks and "shacl" in checks and "quotes" in checks


GOLDEN_SMALL = {
    "a synthetic CPC has indications": f"""
        ASK {{ ?m rk:framework <https://w3id.org/regkg/id/framework/cpc> ; rk:hasIndication ?i .
               FILTER(STRSTARTS(STR(?m), "{SYNTH}")) }}""",
    "each synthetic CPC indication has a board": f"""
        ASK {{ FILTER NOT EXISTS {{
            ?m rk:framework <https://w3id.org/regkg/id/framework/cpc> ; rk:hasIndication ?i .
            FILTER(STRSTARTS(STR(?m), "{SYNTH}"))
            FILTER NOT EXISTS {{ ?i rk:hasCondition ?c . ?c a rk:BoardProposalCondition ; rk:board ?b .
                                 ?b a rk:MultidisciplinaryBoard ; rdfs:label ?l }} }} }}""",
    "dates are xsd:date": """
        ASK { ?t time:inXSDDate ?d . FILTER NOT EXISTS {
            { ?x time:inXSDDate ?e } UNION { ?x eli:date_document ?e } UNION { ?x rk:beforeDate ?e }
            UNION { ?x rk:notBefore ?e }
            FILTER(DATATYPE(?e) != xsd:date) } }""",
    "each synthetic text has a source file, a date and cites a real code article": f"""
        ASK {{ FILTER NOT EXISTS {{
            ?doc rk:sourceFile ?f . FILTER(STRSTARTS(STR(?doc), "{SYNTH}"))
            FILTER NOT EXISTS {{ ?doc eli:date_document ?d ; eli:cites ?a .
                                 ?a a rk:CodeArticle ; eli:is_part_of+ ?code . ?code a rk:Code }} }} }}""",
    "the HAS early access is decided by HAS under an AAP framework": f"""
        ASK {{ ?m rk:decidedBy <https://w3id.org/regkg/id/org/has> ; rk:framework ?f .
               ?f skos:broader <https://w3id.org/regkg/id/framework/aap> . FILTER(STRSTARTS(STR(?m), "{SYNTH}")) }}""",
    "every synthetic medicine has a company, a substance and a citation": f"""
        ASK {{ FILTER NOT EXISTS {{ ?med a rk:MedicinalProduct . FILTER(STRSTARTS(STR(?med), "{SYNTH}"))
            FILTER NOT EXISTS {{ ?med rk:exploitedBy/a rk:Company ; rk:hasActiveSubstance/rk:inn ?inn ;
                                 rk:citation/oa:hasSelector/oa:exact ?q }} }} }}""",
    "an unknown date never carries a date": """
        ASK { FILTER NOT EXISTS { ?t rk:dateStatus rk:DateUnknown ; time:inXSDDate ?d } }""",
}

GOLDEN_COVERING = {
    "a renewal updates the decision it renews and its measure follows the earlier one": """
        ASK { ?new rk:updates ?old ; eli:cites ?old . ?m rk:establishedBy ?new ; rk:follows ?prev .
              ?prev rk:establishedBy ?old }""",
    "a note updates an earlier note (update chain)": """
        ASK { ?n2 a rk:InformationNote ; rk:updates ?n1 . ?n1 a rk:InformationNote ; rk:sourceFile ?f }""",
    "continuity starts the day after the early access, derived": """
        ASK { ?c rk:framework <https://w3id.org/regkg/id/framework/continuity> ; rk:follows ?aap ;
                 rk:validity/time:hasBeginning ?s ; rk:hasCondition ?cond .
              ?s rk:dateStatus rk:DateDerived ; rk:offset "P1D"^^xsd:duration ; rk:relativeTo ?e ; time:inXSDDate ?sd .
              ?aap rk:validity/time:hasEnd ?e . ?e time:inXSDDate ?ed .
              ?cond rk:beforeDate ?sd ; rk:initiatedUnder ?aap }""",
    "free supply is decided by the company, with a derogating permission ending inclusively": """
        ASK { ?m rk:framework <https://w3id.org/regkg/id/framework/free-supply> ; rk:decidedBy ?co ;
                 rk:hasPermission ?p . ?co a rk:Company .
              ?p rk:derogatesFrom <https://w3id.org/regkg/id/eli/code/csp/L5123-2> ;
                 rk:validity ?v . ?v rk:endInclusive true ; time:hasBeginning/rk:dateStatus rk:DateUnknown }""",
    "imaging conditions combine modalities with AllOf or AnyOf": """
        ASK { ?c a rk:ImagingCondition ; rk:modalityCombination ?k ; rk:imagingModality ?m . ?m rdfs:label ?l }""",
    "an obligation has a deadline counted from a time point": """
        ASK { ?o rk:deadline ?d ; rk:deadlineFrom ?t . ?t a rk:TimePoint }""",
    "a period depends on an unknown event bounded by rk:notBefore": """
        ASK { ?p rk:validity/time:hasBeginning ?s . ?s rk:dateStatus rk:DateUnknown .
              { ?s rk:notBefore ?nb } UNION { ?s rk:relativeTo/rk:notBefore ?nb } }""",
}


@pytest.mark.parametrize("fact", sorted(GOLDEN_SMALL))
def test_golden_facts_of_the_small_corpus(small_store: Store, fact: str) -> None:
    assert ask(small_store, GOLDEN_SMALL[fact]), fact


@pytest.mark.parametrize("fact", sorted(GOLDEN_COVERING))
def test_golden_facts_of_every_kind(covering_store: tuple[Store, SynthSummary, list[str]], fact: str) -> None:
    assert ask(covering_store[0], GOLDEN_COVERING[fact]), fact


def test_applicability_answers_for_every_synthetic_medicine(small_store: Store) -> None:
    rows = small_store.query(
        f'SELECT ?m ?name WHERE {{ ?m rk:productName ?name . FILTER(STRSTARTS(STR(?m), "{SYNTH}")) }} ORDER BY ?m'
    )
    medicines = [(row["m"].value, row["name"].value) for row in rows]
    assert len(medicines) == 3
    for iri, name in medicines:
        for on in ("2022-01-01", "2025-06-30"):
            result = applicability(small_store, name, on, Facts(board_proposal=True))
            assert result["medicine"]["iri"] == iri
            assert result["status"] in {"applicable", "not_applicable", "indeterminate"}
            assert result["frameworks"], f"{name}: no access measure found"
            assert all(f["measure"].startswith(SYNTH) for f in result["frameworks"])


def _cli_has_synth() -> bool:
    from regkg.cli import parser

    commands = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    return "synth" in commands.choices


@pytest.mark.skipif(not _cli_has_synth(), reason="`regkg synth` is not registered in regkg.cli yet")
def test_cli_synth_writes_and_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from regkg.cli import main

    monkeypatch.setenv("REGKG_HOME", str(ROOT))
    out = tmp_path / "cli"
    assert main(["synth", "--decisions", "2", "--seed", "7", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "wrote 2 synthetic texts (seed 7)" in printed and "triples" in printed
    assert len(list((out / "data" / "documents").glob("synth-*.ttl"))) == 2
    assert main(["synth", "--decisions", "-1", "--out", str(tmp_path / "negative")]) == 2
    assert main(["synth", "--decisions", "1", "--out", str(ROOT)]) == 2, "the real project is refused"
