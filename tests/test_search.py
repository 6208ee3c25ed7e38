"""Search: case- and accent-insensitive, over names, abbreviations, identifiers and quotes."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import pytest
import rdflib

from regkg import Settings, Store, build
from regkg.answers.search import EmptyQuery, Hit, hits_document, hits_jsonld, search, search_index
from regkg.answers.text import fold, key

ROOT = Path(__file__).resolve().parents[1]
ID = "https://w3id.org/regkg/id/"
RK = "https://w3id.org/regkg/ontology#"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    path = tmp_path_factory.mktemp("search") / "store"
    build(Settings(root=ROOT, store_path=path), reasoner=False)
    return Store(path)


def _iris(hits: list[Hit]) -> list[str]:
    return [h.iri for h in hits]


@pytest.mark.parametrize(
    ("query", "expected", "matched"),
    [
        ("lutathera", "medicine/lutathera", "productName"),
        ("LUTATHERA", "medicine/lutathera", "productName"),
        ("Lumykras", "medicine/lumykras", "productName"),
        ("sotorasib", "substance/sotorasib", "inn"),
        ("méningiome", "measure/lutathera-cpc-2022/indication/meningioma", "altLabel"),
        ("meningiome", "measure/lutathera-cpc-2022/indication/meningioma", "altLabel"),
        ("PPGL", "measure/lutathera-cpc-2022/indication/ppgl", "altLabel"),
        ("ppgl", "measure/lutathera-cpc-2022/indication/ppgl", "altLabel"),
        ("TNE", "measure/lutathera-cpc-2022/indication/other-net", "altLabel"),
        ("CBNPC", "measure/lumykras-aap/indication/nsclc-kras-g12c", "altLabel"),
        ("NSCLC", "measure/lumykras-aap/indication/nsclc-kras-g12c", "altLabel"),
        ("Comète", "board/comete", "altLabel"),
        ("comete", "board/comete", "altLabel"),
        ("MSAH2426787N", "eli/dgos-dss/note/2024/10/08/2024-148", "nor"),
        ("L. 5121-12-1", "eli/code/csp/L5121-12-1", "provisionNumber"),
        ("AAP", "framework/aap", "altLabel"),
        ("CPC", "framework/cpc", "altLabel"),
        ("date certaine", "measure/lutathera-cpc-2022/obligation/periodic-report", "quote"),
    ],
)
def test_the_expected_resource_comes_first(store: Store, query: str, expected: str, matched: str) -> None:
    hits = search(store, query)
    assert hits, f"nothing found for {query!r}"
    assert hits[0].iri == ID + expected, f"{query!r}: {[(h.iri, h.score) for h in hits[:3]]}"
    assert hits[0].matched == matched


def test_case_and_accents_do_not_matter(store: Store) -> None:
    for a, b in [
        ("lutathera", "LUTATHERA"),
        ("méningiome", "MENINGIOME"),
        ("Comète", "comete"),
        ("évérolimus", "EVEROLIMUS"),
    ]:
        assert _iris(search(store, a)) == _iris(search(store, b)), (a, b)


def test_the_medicine_ranks_first_for_its_name_and_the_inn_finds_it(store: Store) -> None:
    assert search(store, "Lutathera")[0].iri == ID + "medicine/lutathera"
    assert search(store, "LUMYKRAS")[0].iri == ID + "medicine/lumykras"
    top = _iris(search(store, "sotorasib", limit=2))
    assert set(top) == {ID + "substance/sotorasib", ID + "medicine/lumykras"}


def test_ranking_puts_exact_before_prefix_before_words_before_substring(store: Store) -> None:
    hits = search(store, "TNE", limit=50)
    order = {"exact": 4, "prefix": 3, "words": 2, "substring": 1}
    levels = [order[h.match] for h in hits]
    assert levels == sorted(levels, reverse=True)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    for a, b in itertools.pairwise(hits):
        assert (-a.score, a.iri) < (-b.score, b.iri), "ties must be broken by IRI"
    assert hits[1].iri.endswith("thymic-net") or hits[1].iri.endswith("thymic-net/condition/clinical")


def test_a_quote_hit_returns_the_citing_resource_with_a_snippet(store: Store) -> None:
    hit = search(store, "date certaine")[0]
    assert hit.matched == "quote"
    assert "date certaine" in hit.snippet
    assert hit.label_fr and hit.label_en
    assert RK + "ReportingObligation" in hit.types


def test_at_equal_match_names_outrank_alternative_names_and_quotes(store: Store) -> None:
    tiers = {"altLabel": 2, "quote": 1}
    for q in ("Poitiers", "Renaten", "sotorasib", "tumeur neuroendocrine"):
        hits = search(store, q, limit=100)
        for match in ("exact", "prefix", "words", "substring"):
            ranks = [tiers.get(h.matched, 3) for h in hits if h.match == match]
            assert ranks == sorted(ranks, reverse=True), (q, match)
    assert search(store, "Poitiers")[0].iri == ID + "org/crpv-poitiers"


def test_types_filter_accepts_prefixed_names_and_superclasses(store: Store) -> None:
    assert _iris(search(store, "sotorasib", types=["rk:MedicinalProduct"])) == [ID + "medicine/lumykras"]
    conditions = search(store, "Renaten", types=["rk:EligibilityCondition"])
    assert conditions and all("/condition/board-proposal" in h.iri for h in conditions)
    assert search(store, "Renaten", types=[RK + "MultidisciplinaryBoard"])[0].iri == ID + "board/renaten"


def test_an_empty_query_is_an_error(store: Store) -> None:
    for q in ("", "   ", "—", "?!"):
        with pytest.raises(EmptyQuery) as caught:
            search(store, q)
        assert caught.value.status == 400 and isinstance(caught.value, ValueError)


def test_unknown_words_find_nothing_and_limit_is_respected(store: Store) -> None:
    assert search(store, "xylophone") == []
    assert len(search(store, "de", limit=3)) == 3


def test_the_index_is_built_once_and_a_search_is_fast(store: Store) -> None:
    assert search_index(store) is search_index(store)
    queries = ["lutathera", "méningiome", "PPGL", "date certaine", "L. 5121-12-1", "tumeur neuroendocrine", "e"]
    start = time.perf_counter()
    for _ in range(20):
        for q in queries:
            search(store, q)
    per_search = (time.perf_counter() - start) / (20 * len(queries))
    assert per_search < 0.010, f"{per_search * 1000:.1f} ms per search"


def test_the_json_and_json_ld_answers(store: Store) -> None:
    hits = search(store, "PPGL", limit=3)
    plain = hits_document("PPGL", hits)
    assert plain["count"] == len(hits) and plain["hits"][0]["iri"] == ID + "measure/lutathera-cpc-2022/indication/ppgl"
    assert set(plain["hits"][0]) >= {"iri", "label_fr", "label_en", "types", "matched", "score", "snippet"}
    graph = rdflib.Graph().parse(data=json.dumps(hits_jsonld("PPGL", hits)), format="json-ld")
    node = rdflib.URIRef(hits[0].iri)
    assert (node, rdflib.RDF.type, rdflib.URIRef(RK + "TherapeuticIndication")) in graph
    assert (node, rdflib.RDFS.label, rdflib.Literal(hits[0].label_fr, lang="fr")) in graph


def test_folding_and_keys() -> None:
    assert fold("Méningiome ÉVÉROLIMUS cœur") == "meningiome everolimus coeur"
    assert key("L. 5121-12-1") == "l 5121 12 1"
    assert key("  Comète — RCP  ") == "comete rcp"
