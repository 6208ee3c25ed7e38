"""Facts for chatbots: cited sentences in French and English, filtered by medicine and words."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import rdflib

from regkg import Settings, Store, build, normalize
from regkg.answers.facts import (
    AmbiguousMedicine,
    Fact,
    UnknownMedicine,
    fact_base,
    facts,
    facts_document,
    facts_jsonld,
    resolve_medicine,
)
from regkg.answers.text import fold, format_boolean, format_date, format_duration

ROOT = Path(__file__).resolve().parents[1]
ID = "https://w3id.org/regkg/id/"
RK = "https://w3id.org/regkg/ontology#"
TIME = "http://www.w3.org/2006/time#"
LUTATHERA = ID + "medicine/lutathera"
LUMYKRAS = ID + "medicine/lumykras"
ALL = 100_000


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    path = tmp_path_factory.mktemp("facts") / "store"
    build(Settings(root=ROOT, store_path=path), reasoner=False)
    return Store(path)


@pytest.fixture(scope="module")
def everything(store: Store) -> list[Fact]:
    return facts(store, limit=ALL)


def _one(found: list[Fact], **fields: str) -> Fact:
    matching = [f for f in found if all(getattr(f, k) == v for k, v in fields.items())]
    assert len(matching) == 1, f"expected one fact with {fields}, found {len(matching)}"
    return matching[0]


def test_lutathera_facts_say_who_follows_pharmacovigilance_with_the_article_2_quote(store: Store) -> None:
    fact = _one(
        facts(store, medicine="Lutathera", limit=ALL),
        subject=ID + "measure/lutathera-cpc-2022/obligation/pharmacovigilance",
        predicate=RK + "responsibleParty",
    )
    assert fact.object == ID + "org/crpv-poitiers"
    assert "CRPV" in fact.text_fr and "Poitiers" in fact.text_fr
    assert "Poitiers" in fact.text_en and "responsible party" in fact.text_en
    assert fact.citation.provision == ID + "eli/ansm/decision/2022/04/05/cpc-lutathera/art_2"
    assert fact.citation.document == ID + "eli/ansm/decision/2022/04/05/cpc-lutathera"
    assert fact.citation.quote == (
        "Le suivi national de pharmacovigilance dans le cadre du présent CPC est assuré par le Centre Régional de "
        "Pharmacovigilance (CRPV) de Poitiers."
    )


def test_the_product_fact_reads_naturally_in_both_languages(store: Store) -> None:
    fact = _one(facts(store, medicine="Lutathera", limit=ALL), subject=LUTATHERA, predicate=RK + "exploitedBy")
    assert fact.text_fr == (
        "Lutathera 370 MBq/mL, solution pour perfusion — exploité par : Advanced Accelerator Applications."
    )
    assert fact.text_en == (
        "Lutathera 370 MBq/mL, solution for infusion — exploited by: Advanced Accelerator Applications."
    )
    assert fact.to_dict()["object_label"] == {
        "fr": "Advanced Accelerator Applications",
        "en": "Advanced Accelerator Applications",
    }


def test_lumykras_facts_give_the_end_of_the_free_supply_with_its_quote(store: Store) -> None:
    found = facts(store, medicine="Lumykras", limit=ALL)
    end = ID + "measure/lumykras-free-supply-2024/period/end"
    dated = _one(found, subject=end, predicate=TIME + "inXSDDate")
    assert dated.object == "2025-10-24"
    assert "24 octobre 2025" in dated.text_fr and "24 October 2025" in dated.text_en
    assert dated.citation.quote == "jusqu'au 24 octobre 2025"
    period = _one(found, subject=ID + "measure/lumykras-free-supply-2024/period", predicate=TIME + "hasEnd")
    assert period.object == end
    assert "24 octobre 2025" in period.text_fr and "24 October 2025" in period.text_en
    assert "déduite" in period.text_fr and "derived" in period.text_en


def test_every_quote_is_an_exact_span_of_its_source_text(store: Store, everything: list[Fact]) -> None:
    files = {
        row["doc"].value: row["file"].value
        for row in store.query("SELECT ?doc ?file WHERE { ?doc rk:sourceFile ?file }")
    }
    texts = {name: normalize((ROOT / "data" / "sources" / name).read_text(encoding="utf-8")) for name in files.values()}
    exact = {row["q"].value for row in store.query("SELECT DISTINCT ?q WHERE { ?c oa:hasSelector/oa:exact ?q }")}
    assert len(everything) > 200
    for fact in everything:
        quote = fact.citation.quote
        assert quote in exact, f"not an oa:exact of the graph: {quote!r}"
        source = texts[files[fact.citation.document]]
        assert normalize(quote) in source, f"{fact.text_en}: quote not in {files[fact.citation.document]}: {quote!r}"


def test_every_fact_is_bilingual_with_iris_and_a_complete_citation(everything: list[Fact]) -> None:
    for fact in everything:
        d = fact.to_dict()
        assert {"text_fr", "text_en", "subject", "predicate", "object", "object_label", "citation"} <= set(d)
        assert d["text_fr"].strip() and d["text_en"].strip(), d
        assert d["subject"].startswith(ID) and d["predicate"].startswith("http"), d
        assert d["object"] != "" and set(d["object_label"]) == {"fr", "en"}, d
        assert d["citation"]["document"].startswith(ID) and d["citation"]["provision"].startswith(ID), d
        assert d["citation"]["quote"].strip(), d
        assert "http" not in d["text_fr"] and "http" not in d["text_en"], f"an IRI leaked into a sentence: {d}"


def test_no_fact_is_made_of_types_labels_citations_or_structure(everything: list[Fact]) -> None:
    noise = {
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "http://www.w3.org/2000/01/rdf-schema#label",
        RK + "citation", RK + "sequence", RK + "sourceFile", "http://data.europa.eu/eli/ontology#has_part",
    }  # fmt: skip
    assert not [f.text_en for f in everything if f.predicate in noise]


def test_the_period_of_the_cpc_gives_duration_renewal_and_an_unknown_start(store: Store) -> None:
    found = facts(store, medicine="Lutathera", limit=ALL)
    period = ID + "measure/lutathera-cpc-2022/period"
    duration = _one(found, subject=period, predicate=TIME + "hasXSDDuration")
    assert "3 ans" in duration.text_fr and "3 years" in duration.text_en
    renewable = _one(found, subject=period, predicate=RK + "renewable")
    assert renewable.text_fr.endswith("renouvelable : oui.") and renewable.text_en.endswith("renewable: yes.")
    start = _one(found, subject=period, predicate=TIME + "hasBeginning")
    assert "inconnue" in start.text_fr and "unknown" in start.text_en
    assert "6 avril 2022" in start.text_fr  # the earliest date it can have, stated as such
    unknown = _one(found, subject=period + "/start", predicate=RK + "dateStatus")
    assert unknown.object == RK + "DateUnknown"
    assert "inconnue" in unknown.text_fr and "unknown" in unknown.text_en
    assert unknown.citation.provision.endswith("/art_5")


def test_condition_facts_name_the_condition_and_its_indication(store: Store) -> None:
    found = facts(store, medicine="Lutathera", limit=ALL)
    board = _one(found, subject=ID + "measure/lutathera-cpc-2022/indication/ppgl/condition/board-proposal")
    assert board.text_fr.startswith("Proposition de la RCP nationale Comete (indication : PPGL)")
    assert "Comete" in board.text_en and board.citation.quote == "sur proposition de la RCP nationale Comete"
    conditions = [f for f in found if "/condition/" in f.subject]
    assert conditions
    for fact in conditions:
        assert fact.subject_label_fr in fact.text_fr or "inconnue" in fact.text_fr, fact.text_fr
    linked = [f for f in found if f.predicate == RK + "hasCondition"]
    assert linked and all(f.object_label_fr in f.text_fr for f in linked)


def test_q_keeps_facts_containing_all_its_words_case_and_accent_insensitive(store: Store) -> None:
    found = facts(store, q="Pharmacovigilance POITIERS", limit=ALL)
    assert found
    for fact in found:
        haystack = fold(" ".join((fact.text_fr, fact.text_en, fact.citation.quote)))
        assert "pharmacovigilance" in haystack and "poitiers" in haystack
    assert found[0].subject == ID + "measure/lutathera-cpc-2022/obligation/pharmacovigilance"
    accented = [f.text_en for f in facts(store, q="méningiome", limit=ALL)]
    assert accented and accented == [f.text_en for f in facts(store, q="MENINGIOME", limit=ALL)]
    assert facts(store, q="zzz-nothing-like-this") == []


def test_q_finds_a_date_written_in_iso_form(store: Store) -> None:
    found = facts(store, q="2025-10-24", medicine="sotorasib", limit=ALL)
    assert ID + "measure/lumykras-free-supply-2024/period/end" in {f.subject for f in found}


def test_medicine_keeps_only_its_own_facts(store: Store, everything: list[Fact]) -> None:
    lumykras = facts(store, medicine="LUMYKRAS®", limit=ALL)
    lutathera = facts(store, medicine=LUTATHERA, limit=ALL)
    assert lumykras and lutathera
    assert not [f.text_en for f in lumykras if "lutathera" in f.subject or "lutathera" in fold(f.text_en)]
    assert not [f.text_en for f in lutathera if "lumykras" in f.subject or "lumykras" in fold(f.text_en)]
    assert {f.subject for f in lumykras} >= {LUMYKRAS, ID + "eli/dgos-dss/note/2024/10/08/2024-148"}
    assert len(lumykras) + len(lutathera) == len(everything)


def test_a_medicine_is_found_by_name_brand_inn_or_iri(store: Store) -> None:
    assert resolve_medicine(store, "lutathera").iri == LUTATHERA
    assert resolve_medicine(store, "Lumykras 120 mg").iri == LUMYKRAS
    assert resolve_medicine(store, "Sotorasib").iri == LUMYKRAS
    assert resolve_medicine(store, LUMYKRAS).iri == LUMYKRAS


def test_an_unknown_medicine_is_a_404_listing_the_known_ones(store: Store) -> None:
    with pytest.raises(UnknownMedicine) as caught:
        facts(store, medicine="Doliprane")
    assert isinstance(caught.value, ValueError) and caught.value.status == 404
    assert "Doliprane" in str(caught.value) and "Lutathera" in str(caught.value) and "LUMYKRAS" in str(caught.value)
    with pytest.raises(UnknownMedicine):
        facts(store, medicine=ID + "medicine/doliprane")
    with pytest.raises(AmbiguousMedicine) as ambiguous:
        facts(store, medicine="lu")
    assert ambiguous.value.status == 400


def test_limit_and_order_are_stable(store: Store, everything: list[Fact]) -> None:
    assert facts(store, limit=5) == everything[:5]
    assert facts(store, limit=0) == []
    assert everything[0].subject in (LUMYKRAS, LUTATHERA)  # the medicines come first
    assert fact_base(store) is fact_base(store)


def test_the_json_and_json_ld_answers(store: Store) -> None:
    found = facts(store, q="pharmacovigilance", medicine="Lutathera")
    resolved = resolve_medicine(store, "Lutathera")
    plain = facts_document(found, q="pharmacovigilance", medicine="Lutathera", resolved=resolved)
    assert plain["count"] == len(found) and plain["medicine"]["iri"] == LUTATHERA
    assert plain["facts"][0] == found[0].to_dict()
    doc = facts_jsonld(found, q="pharmacovigilance", medicine="Lutathera", resolved=resolved)
    graph = rdflib.Graph().parse(data=json.dumps(doc), format="json-ld")
    rdf = rdflib.RDF
    statements = list(graph.subjects(rdf.type, rdf.Statement))
    assert len(statements) == len(found)
    quotes = {str(q) for q in graph.objects(None, rdflib.URIRef("http://www.w3.org/ns/oa#exact"))}
    assert quotes == {f.citation.quote for f in found}
    first = found[0]
    assert (None, rdf.subject, rdflib.URIRef(first.subject)) in graph
    assert (None, rdflib.RDFS.label, rdflib.Literal(first.text_fr, lang="fr")) in graph


def test_dates_durations_and_booleans_are_written_out() -> None:
    assert format_date("2025-10-24", "fr") == "24 octobre 2025"
    assert format_date("2025-10-01", "fr") == "1er octobre 2025"
    assert format_date("2025-10-24", "en") == "24 October 2025"
    assert format_duration("P6M", "fr") == "6 mois" and format_duration("P6M", "en") == "6 months"
    assert format_duration("P1Y", "fr") == "1 an" and format_duration("P1Y", "en") == "1 year"
    assert format_duration("P1Y6M", "fr") == "1 an et 6 mois"
    assert format_duration("P1D", "en") == "1 day" and format_duration("nonsense", "en") == "nonsense"
    assert format_boolean("true", "fr") == "oui" and format_boolean("false", "en") == "no"


# ============================================================================ a third, fictitious text

FICTION = ROOT / "tests" / "fixtures" / "applicability" / "ansm-2023-02-14-cpc-fictivumab"


@pytest.fixture(scope="module")
def with_fiction(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The shipped data plus a fictitious decision (a fixture of the applicability tests)."""
    if not FICTION.with_suffix(".ttl").is_file():
        pytest.skip("the fictitious decision fixture is not there")
    root = tmp_path_factory.mktemp("fiction")
    for name in ("ontology", "data"):
        shutil.copytree(ROOT / name, root / name)
    shutil.copy(FICTION.with_suffix(".ttl"), root / "data" / "documents")
    shutil.copy(FICTION.with_suffix(".txt"), root / "data" / "sources")
    build(Settings(root=root, store_path=root / "store"), reasoner=False)
    return Store(root / "store")


def test_facts_come_from_the_graph_alone_so_a_new_text_gets_them_too(with_fiction: Store, store: Store) -> None:
    found = facts(with_fiction, medicine="fictivumab", limit=ALL)
    assert found and all("fictivumab" in f.subject or "fictivumab" in f.citation.document for f in found)
    text = normalize(FICTION.with_suffix(".txt").read_text(encoding="utf-8"))
    assert all(normalize(f.citation.quote) in text for f in found)
    assert any(f.subject == ID + "medicine/fictivumab" for f in found)
    # adding a text changes nothing in the facts of the others
    for name in ("Lutathera", "Lumykras"):
        before = [f.to_dict() for f in facts(store, medicine=name, limit=ALL)]
        assert [f.to_dict() for f in facts(with_fiction, medicine=name, limit=ALL)] == before
    with pytest.raises(UnknownMedicine, match=r"(?i)fictivumab"):
        facts(with_fiction, medicine="Doliprane")
