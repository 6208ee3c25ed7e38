"""Applicability: exact date edges, honest unknowns, citations, clear errors, and answers driven by
the graph alone (a fictitious third decision in tests/fixtures/applicability/ is answered with
no code change)."""

from __future__ import annotations

import ast
import json
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from regkg import Settings, Store, build, normalize
from regkg.answers import applicability as engine
from regkg.answers.applicability import ApplicabilityError, Facts, applicability, facts_from_pairs
from regkg.answers.dates import add_duration, parse_date

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "applicability"
FICTION = "ansm-2023-02-14-cpc-fictivumab"
ID = "https://w3id.org/regkg/id/"

LUMYKRAS_AAP = ID + "measure/lumykras-aap"
LUMYKRAS_CONTINUITY = ID + "measure/lumykras-continuity-2023"
LUMYKRAS_FREE = ID + "measure/lumykras-free-supply-2024"
LUTATHERA_CPC = ID + "measure/lutathera-cpc-2022"
FICTIVUMAB_CPC = ID + "measure/fictivumab-cpc-2023"
FICTIVUMAB_FREE = ID + "measure/fictivumab-free-supply"

# What a patient in the Lumykras indication has, given as explicit answers to its conditions.
NSCLC_PATIENT = {"adults": True, "advanced-nsclc": "yes", "kras-g12c": True, "monotherapy": True}
NSCLC_PRIOR = [("systemic-line", "progression")]


def ask(store: Store, medicine: str, on: str, **facts: Any) -> dict[str, Any]:
    return applicability(store, medicine, on, Facts(**facts))


def measure(result: dict[str, Any], iri: str) -> dict[str, Any]:
    found = [f for f in result["frameworks"] if f["measure"] == iri]
    assert found, f"{iri} not among {[f['measure'] for f in result['frameworks']]}"
    return found[0]


def condition(framework: dict[str, Any], suffix: str) -> dict[str, Any]:
    found = [c for c in framework["conditions"] if c["iri"].endswith(suffix)]
    assert len(found) == 1, f"no single condition ending in {suffix!r}: {[c['iri'] for c in framework['conditions']]}"
    return found[0]


def lumykras(store: Store, on: str, **facts: Any) -> dict[str, Any]:
    facts.setdefault("other", dict(NSCLC_PATIENT))
    facts.setdefault("prior_treatments", list(NSCLC_PRIOR))
    return ask(store, "Lumykras", on, **facts)


# ============================================================================ Lumykras: stated dates


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        ("2022-04-27", "not_applicable"),  # the day before the stated start
        ("2022-04-28", "applicable"),  # first day, included
        ("2023-10-24", "applicable"),  # last day, included ("entre le 28 avril 2022 et le 24 octobre 2023")
        ("2023-10-25", "not_applicable"),
    ],
)
def test_lumykras_early_access_period_is_exact_at_both_ends(built_store: Store, on: str, expected: str) -> None:
    aap = measure(lumykras(built_store, on), LUMYKRAS_AAP)
    assert aap["status"] == expected, aap["reasons"]
    assert aap["period"]["start"] == "2022-04-28" and aap["period"]["end"] == "2023-10-24"
    assert aap["period"]["start_inclusive"] and aap["period"]["end_inclusive"]


def test_lumykras_early_access_reasons_name_the_boundary(built_store: Store) -> None:
    aap = measure(lumykras(built_store, "2022-04-27"), LUMYKRAS_AAP)
    assert "2022-04-28" in aap["reasons"][0]
    assert aap["missing_facts"] == [], "a measure that cannot apply needs no further fact"


def test_lumykras_all_conditions_met_gives_applicable_with_every_condition_listed(built_store: Store) -> None:
    result = lumykras(built_store, "2023-01-15")
    assert result["status"] == "applicable"
    aap = measure(result, LUMYKRAS_AAP)
    assert {c["status"] for c in aap["conditions"]} == {"met"}
    assert len(aap["conditions"]) == 5
    assert aap["indication"]["implicit"] is True
    assert condition(aap, "prior-systemic-line")["type"] == "PriorTreatmentCondition"


@pytest.mark.parametrize(
    ("start", "on", "start_status", "expected"),
    [
        ("2023-10-24", "2024-10-24", "met", "applicable"),
        ("2023-10-25", "2024-10-24", "unmet", "not_applicable"),  # "avant le 25 octobre 2023" excludes it
        ("2023-10-24", "2024-10-25", "met", "not_applicable"),  # continuity ends 2024-10-24 inclusive
        ("2022-04-27", "2024-01-10", "unmet", "not_applicable"),  # before the early access it must start under
    ],
)
def test_lumykras_continuity_start_condition_and_period(
    built_store: Store, start: str, on: str, start_status: str, expected: str
) -> None:
    continuity = measure(lumykras(built_store, on, treatment_start=start), LUMYKRAS_CONTINUITY)
    cond = condition(continuity, "continuity-2023/condition/treatment-start")
    assert cond["status"] == start_status, cond["reason"]
    assert cond["before_date"] == "2023-10-25"
    assert cond["initiated_under"]["iri"] == LUMYKRAS_AAP
    assert continuity["status"] == expected, continuity["reasons"]


@pytest.mark.parametrize(
    ("on", "expected"),
    [("2024-10-24", "not_applicable"), ("2024-10-25", "applicable"), ("2025-10-24", "applicable"),
     ("2025-10-25", "not_applicable")],
)  # fmt: skip
def test_lumykras_free_supply_period(built_store: Store, on: str, expected: str) -> None:
    other = {**NSCLC_PATIENT, "continuation-needed": True}
    free = measure(lumykras(built_store, on, treatment_start="2023-10-24", other=other), LUMYKRAS_FREE)
    assert free["status"] == expected, free["reasons"]
    assert free["decision"] == ID + "eli/dgos-dss/note/2024/10/08/2024-148", "reported in the 2024 note"


def test_missing_treatment_start_is_indeterminate_and_named(built_store: Store) -> None:
    result = lumykras(built_store, "2024-06-01")
    assert result["status"] == "indeterminate"
    continuity = measure(result, LUMYKRAS_CONTINUITY)
    assert continuity["status"] == "indeterminate"
    assert condition(continuity, "condition/treatment-start")["status"] == "unknown"
    assert [m for m in continuity["missing"] if m["key"] == "treatment_start"], continuity["missing"]
    assert any(m.startswith("treatment_start:") and "2023-10-25" in m for m in result["missing_facts"])


def test_unanswered_generic_conditions_are_unknown_with_their_label_as_missing_fact(built_store: Store) -> None:
    aap = measure(ask(built_store, "Lumykras", "2023-01-15"), LUMYKRAS_AAP)
    assert aap["status"] == "indeterminate"
    adults = condition(aap, "condition/adults")
    assert adults["status"] == "unknown"
    assert adults["label"] in aap["missing_facts"]
    assert {
        "key": "other:measure/lumykras-aap/indication/nsclc-kras-g12c/condition/adults",
        "text": adults["label"],
    } in aap["missing"]


def test_explicit_no_makes_a_condition_unmet(built_store: Store) -> None:
    aap = measure(lumykras(built_store, "2023-01-15", other={**NSCLC_PATIENT, "adults": "no"}), LUMYKRAS_AAP)
    assert condition(aap, "condition/adults")["status"] == "unmet"
    assert aap["status"] == "not_applicable"


def test_prior_treatment_outcome_must_be_an_accepted_one(built_store: Store) -> None:
    aap = measure(lumykras(built_store, "2023-01-15", prior_treatments=[("systemic-line", "none")]), LUMYKRAS_AAP)
    assert condition(aap, "prior-systemic-line")["status"] == "unmet"
    aap = measure(lumykras(built_store, "2023-01-15", prior_treatments=[]), LUMYKRAS_AAP)
    assert condition(aap, "prior-systemic-line")["status"] == "unknown"


@pytest.mark.parametrize(
    "name", ["lumykras", "LUMYKRAS®", "Lumykras", "sotorasib", "SOTORASIB", ID + "medicine/lumykras"]
)
def test_medicine_resolves_by_name_inn_or_iri(built_store: Store, name: str) -> None:
    assert ask(built_store, name, "2024-01-01")["medicine"]["iri"] == ID + "medicine/lumykras"


def test_permissions_are_reported_but_do_not_decide(built_store: Store) -> None:
    free = measure(lumykras(built_store, "2025-10-25", treatment_start="2023-10-24"), LUMYKRAS_FREE)
    establishments = next(p for p in free["permissions"] if p["iri"].endswith("permission/establishments"))
    assert establishments["in_force"] is False
    free = measure(lumykras(built_store, "2025-10-24", treatment_start="2023-10-24"), LUMYKRAS_FREE)
    establishments = next(p for p in free["permissions"] if p["iri"].endswith("permission/establishments"))
    assert establishments["in_force"] is None, "its start is not stated: in force is unknown, not guessed"


# ============================================================================ Lutathera: unknown start


def test_lutathera_before_the_earliest_possible_start_is_not_applicable(built_store: Store) -> None:
    result = ask(built_store, "Lutathera", "2022-04-05")
    assert result["status"] == "not_applicable"
    cpc = measure(result, LUTATHERA_CPC)
    assert cpc["period"]["placement"] == "before_start"
    assert "2022-04-06" in cpc["reasons"][0]


@pytest.mark.parametrize("on", ["2022-04-06", "2024-01-01", "2030-01-01"])
def test_lutathera_after_that_is_indeterminate_naming_the_publication(built_store: Store, on: str) -> None:
    result = ask(built_store, "Lutathera", on, indication="PPGL")
    assert result["status"] == "indeterminate"
    cpc = measure(result, LUTATHERA_CPC)
    period = cpc["period"]
    assert period["start"] is None and period["start_known"] is False, "no guessed date"
    assert period["end"] is None and period["end_known"] is False
    assert period["start_not_before"] == "2022-04-06"
    assert any("Publication of the Lutathera CPC on the ANSM website" in m for m in cpc["missing_facts"])
    assert period["start_point"]["unknown_event"]["iri"] == LUTATHERA_CPC + "/publication"


def test_meningioma_with_every_patient_fact_leaves_only_the_period_unknown(built_store: Store) -> None:
    result = ask(
        built_store,
        "Lutathera",
        "2024-01-01",
        indication="méningiome",
        prior_treatments=[("surgery", "failure")],
        imaging={"sstr-pet": True},
        board_proposal=True,
        other={"clinical": True},
    )
    cpc = measure(result, LUTATHERA_CPC)
    assert cpc["indication"]["iri"] == LUTATHERA_CPC + "/indication/meningioma"
    assert {c["status"] for c in cpc["conditions"]} == {"met"}, [(c["label"], c["status"]) for c in cpc["conditions"]]
    assert cpc["status"] == "indeterminate"
    assert [m["key"] for m in cpc["missing"]] == [f"event:{LUTATHERA_CPC}/publication"]
    board = condition(cpc, "condition/board-proposal")
    assert board["board"] == {"iri": ID + "board/omega", "label": "Omega national tumour board"}
    assert "Omega" in board["reason"]


def test_meningioma_clinical_condition_is_not_assumed_from_the_indication(built_store: Store) -> None:
    facts = {"prior_treatments": [("surgery", "failure")], "imaging": {"SSTR PET": True}, "board_proposal": True}
    cpc = measure(ask(built_store, "Lutathera", "2024-01-01", indication="meningioma", **facts), LUTATHERA_CPC)
    clinical = condition(cpc, "meningioma/condition/clinical")
    assert clinical["status"] == "unknown"
    assert clinical["label"] in cpc["missing_facts"]


def test_ppgl_fdg_alone_satisfies_fdg_and_or_fdopa(built_store: Store) -> None:
    cpc = measure(ask(built_store, "Lutathera", "2024-01-01", indication="PPGL", imaging={"FDG": True}), LUTATHERA_CPC)
    correlation = condition(cpc, "ppgl/condition/pet-correlation")
    assert correlation["status"] == "met"
    assert correlation["combination"].endswith("#AnyOf")


def test_other_net_needs_both_fdg_and_fdopa(built_store: Store) -> None:
    imaging = {"fdg-pet": True, "FDOPA": False}
    result = ask(built_store, "Lutathera", "2024-01-01", indication="other neuroendocrine tumour", imaging=imaging)
    cpc = measure(result, LUTATHERA_CPC)
    assert condition(cpc, "other-net/condition/pet-correlation")["status"] == "unmet"
    assert cpc["status"] == "not_applicable" and result["status"] == "not_applicable"
    assert any("FDOPA" in r for r in cpc["reasons"])
    cpc = measure(ask(built_store, "Lutathera", "2024-01-01", indication="NET", imaging={"FDG": True}), LUTATHERA_CPC)
    assert condition(cpc, "other-net/condition/pet-correlation")["status"] == "unknown"


def test_prior_treatment_accepts_narrower_treatments_and_listed_outcomes(built_store: Store) -> None:
    def prior(pairs: list[tuple[str, str]]) -> str:
        cpc = measure(
            ask(built_store, "Lutathera", "2024-01-01", indication="meningioma", prior_treatments=pairs), LUTATHERA_CPC
        )
        return condition(cpc, "meningioma/condition/prior-treatment")["status"]

    assert prior([("Surgery", "Failure")]) == "met"
    assert prior([("radiotherapy", "impossible")]) == "met"
    assert prior([("surgery", "progression")]) == "unmet"
    assert prior([("MIBG", "failure")]) == "unknown", "a treatment that is not the one named says nothing"


def test_lutathera_without_indication_lists_the_five(built_store: Store) -> None:
    result = ask(built_store, "Lutathera", "2024-01-01")
    cpc = measure(result, LUTATHERA_CPC)
    assert cpc["status"] == "indeterminate"
    assert [i["iri"].rsplit("/", 1)[1] for i in cpc["indications"]] == [
        "ppgl",
        "bronchial-carcinoid",
        "thymic-net",
        "other-net",
        "meningioma",
    ]
    question = [m for m in cpc["missing"] if m["key"] == "indication"]
    assert question and all(i["label"] in question[0]["text"] for i in cpc["indications"])


def test_a_fact_that_fails_every_indication_is_not_applicable_without_an_indication(built_store: Store) -> None:
    cpc = measure(ask(built_store, "Lutathera", "2024-01-01", board_proposal=False), LUTATHERA_CPC)
    assert cpc["status"] == "not_applicable", "every indication requires a board proposal"
    assert {i["status"] for i in cpc["indications"]} == {"not_applicable"}


# ============================================================================ citations and shape


def _source_text(document: str, store: Store) -> str:
    rows = list(store.query(f"SELECT ?f WHERE {{ <{document}> rk:sourceFile ?f }}"))
    return normalize((ROOT / "data" / "sources" / rows[0]["f"].value).read_text(encoding="utf-8"))


def test_citations_are_verbatim_spans_of_their_sources(built_store: Store) -> None:
    for medicine, facts in (("Lumykras", {"treatment_start": "2023-10-24"}), ("Lutathera", {"indication": "PPGL"})):
        result = ask(built_store, medicine, "2024-06-01", **facts)
        assert result["citations"]
        for cit in result["citations"]:
            assert normalize(cit["quote"]) in _source_text(cit["document"], built_store), cit
        for fw in result["frameworks"]:
            assert fw["citation"] in result["citations"]
            for cond in fw["conditions"]:
                assert cond["citation"]["quote"], cond["iri"]
                assert cond["citation"] in result["citations"]
    aap = measure(lumykras(built_store, "2023-01-01"), LUMYKRAS_AAP)
    assert "entre le 28 avril 2022 et le 24 octobre 2023" in [c["quote"] for c in aap["period"]["citations"]]


def test_result_has_the_architecture_shape_and_is_deterministic(built_store: Store) -> None:
    result = lumykras(built_store, "2024-06-01", treatment_start="2023-09-01")
    assert set(result) >= {"query", "status", "frameworks", "citations"}
    assert result["query"]["medicine"] == "Lumykras" and result["query"]["date"] == "2024-06-01"
    assert result["query"]["treatment_start"] == "2023-09-01"
    for fw in result["frameworks"]:
        assert set(fw) >= {
            "framework",
            "label",
            "decision",
            "status",
            "period",
            "conditions",
            "missing_facts",
            "reasons",
        }
        assert set(fw["period"]) >= {"start", "end", "start_known", "end_known", "start_inclusive", "end_inclusive"}
        for cond in fw["conditions"]:
            assert set(cond) >= {"iri", "label", "status", "citation"}
            assert set(cond["citation"]) == {"document", "provision", "quote"}
        for reason in fw["reasons"]:
            assert reason.strip() == reason and "\n" not in reason and reason[0].isupper(), reason
    assert [f["measure"] for f in result["frameworks"]] == [LUMYKRAS_AAP, LUMYKRAS_CONTINUITY, LUMYKRAS_FREE]
    assert json.dumps(result, sort_keys=True) == json.dumps(
        lumykras(built_store, "2024-06-01", treatment_start="2023-09-01"), sort_keys=True
    )


def test_top_level_status_is_applicable_if_any_framework_is(built_store: Store) -> None:
    result = lumykras(built_store, "2024-06-01", treatment_start="2023-09-01")
    assert [f["status"] for f in result["frameworks"]] == ["not_applicable", "applicable", "not_applicable"]
    assert result["status"] == "applicable"


# ============================================================================ errors


def test_unknown_medicine_is_404_listing_the_known_ones(built_store: Store) -> None:
    with pytest.raises(ApplicabilityError) as err:
        ask(built_store, "Doliprane", "2024-01-01")
    assert err.value.status == 404
    assert "Doliprane" in str(err.value) and "LUMYKRAS" in str(err.value) and "Lutathera" in str(err.value)


def test_unknown_indication_is_404_listing_the_medicine_indications(built_store: Store) -> None:
    with pytest.raises(ApplicabilityError) as err:
        ask(built_store, "Lutathera", "2024-01-01", indication="melanoma")
    assert err.value.status == 404
    assert "melanoma" in str(err.value) and "Meningioma of all grades" in str(err.value)


@pytest.mark.parametrize("bad", ["2024-13-01", "01/02/2024", "tomorrow", "2024-02-30", "20240101", ""])
def test_malformed_date_is_400_with_the_expected_form(built_store: Store, bad: str) -> None:
    with pytest.raises(ApplicabilityError) as err:
        ask(built_store, "Lumykras", bad)
    assert err.value.status == 400
    assert "YYYY-MM-DD" in str(err.value) and repr(bad) in str(err.value)


def test_malformed_treatment_start_names_the_field(built_store: Store) -> None:
    with pytest.raises(ApplicabilityError) as err:
        ask(built_store, "Lumykras", "2024-01-01", treatment_start="24/10/2023")
    assert err.value.status == 400 and "treatment_start" in str(err.value)


@pytest.mark.parametrize(
    ("facts", "words"),
    [
        ({"imaging": {"x-ray": True}}, ["imaging modality", "x-ray", "fdg-pet"]),
        ({"prior_treatments": [("aspirin", "failure")]}, ["treatment", "aspirin", "everolimus"]),
        ({"prior_treatments": [("surgery", "cured")]}, ["outcome", "cured", "failure"]),
        ({"other": {"pregnant": True}}, ["pregnant", "condition"]),
        ({"board_proposal": "maybe"}, ["board_proposal", "maybe"]),
    ],
)
def test_unknown_facts_are_400_naming_them(built_store: Store, facts: dict[str, Any], words: list[str]) -> None:
    with pytest.raises(ApplicabilityError) as err:
        ask(built_store, "Lutathera", "2024-01-01", **facts)
    assert err.value.status == 400
    for word in words:
        assert word in str(err.value), (word, str(err.value))


def test_fact_pairs_from_the_command_line() -> None:
    facts = facts_from_pairs(
        ["board=yes", "imaging:FDG=true", "prior:surgery=failure", "adults=no", "indication=PPGL"],
        treatment_start="2023-10-24",
    )
    assert facts.board_proposal == "yes" and facts.imaging == {"FDG": "true"}
    assert facts.prior_treatments == [("surgery", "failure")] and facts.other == {"adults": "no"}
    assert facts.indication == "PPGL" and facts.treatment_start == "2023-10-24"
    with pytest.raises(ApplicabilityError, match="KEY=VALUE"):
        facts_from_pairs(["board"])


def test_dates_are_strict_and_durations_exact() -> None:
    assert parse_date("2024-02-29") == date(2024, 2, 29)
    assert add_duration(date(2022, 4, 6), "P3Y") == date(2025, 4, 6)
    assert add_duration(date(2024, 1, 31), "P1M") == date(2024, 2, 29)
    assert add_duration(date(2023, 10, 24), "P1D") == date(2023, 10, 25)
    assert add_duration(date(2023, 10, 24), "PT12H") is None, "no rounding of a time-of-day duration"


def _code_without_docstrings(path: Path) -> str:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            body.pop(0)
    return ast.unparse(tree).casefold()  # comments are gone too: only code and its strings remain


def test_the_engine_names_no_medicine_text_or_date() -> None:
    source = _code_without_docstrings(Path(engine.__file__))
    for word in ("lumykras", "sotorasib", "lutathera", "fictivumab", "meningioma", "méningiome", "surgery", "omega",
                 "comete", "renaten", "ppgl", "amgen", "2022-04", "2023-10", "2024-10", "2025-10"):  # fmt: skip
        assert word not in source, f"the engine must be driven by the graph, yet it names {word!r}"


# ============================================================================ a third, fictitious decision


@pytest.fixture(scope="module")
def fiction_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fiction")
    for name in ("ontology", "data"):
        shutil.copytree(ROOT / name, root / name)
    shutil.copy(FIXTURES / f"{FICTION}.ttl", root / "data" / "documents")
    shutil.copy(FIXTURES / f"{FICTION}.txt", root / "data" / "sources")
    return root


@pytest.fixture(scope="module")
def fiction(fiction_root: Path) -> Store:
    store_path = fiction_root / "var" / "store"
    build(Settings(root=fiction_root, store_path=store_path), reasoner=False)
    return Store(store_path)


GBM_PATIENT: dict[str, Any] = {
    "indication": "glioblastome",
    "prior_treatments": [("temozolomide", "failure")],
    "imaging": {"perfusion MRI": True},
    "board_proposal": True,
    "other": {"clinical": True, "adults": True},
}


@pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs Java")
def test_fictitious_decision_passes_full_validation_with_the_reasoner(fiction_root: Path) -> None:
    from regkg.datafiles import project_files
    from regkg.validation import validate

    settings = Settings(root=fiction_root, store_path=fiction_root / "unused")
    report, _ = validate(project_files(settings), settings, reasoner=True)
    assert report.ok, report.text()
    assert "owl-consistency" in report.checks


@pytest.mark.parametrize(
    ("on", "expected"),
    [("2023-02-28", "not_applicable"), ("2023-03-01", "applicable"), ("2026-02-28", "applicable"),
     ("2026-03-01", "not_applicable")],
)  # fmt: skip
def test_fictitious_cpc_dated_period(fiction: Store, on: str, expected: str) -> None:
    cpc = measure(ask(fiction, "Fictivumab", on, **GBM_PATIENT), FICTIVUMAB_CPC)
    assert cpc["status"] == expected, cpc["reasons"]
    assert cpc["decision"] == ID + "eli/ansm/decision/2023/02/14/cpc-fictivumab"
    assert cpc["framework"] == ID + "framework/cpc"


def test_fictitious_conditions_follow_the_graph(fiction: Store) -> None:
    cpc = measure(ask(fiction, "fictivumab", "2024-01-01", **GBM_PATIENT), FICTIVUMAB_CPC)
    assert {c["status"] for c in cpc["conditions"]} == {"met"}
    prior = condition(cpc, "glioblastoma/condition/prior-treatment")
    assert "temozolomide" in prior["reason"].casefold(), "a narrower treatment (skos:broader) satisfies it"
    assert condition(cpc, "glioblastoma/condition/board-proposal")["board"]["iri"] == ID + "board/fictineuro"

    def status(suffix: str, **facts: Any) -> str:
        found = measure(ask(fiction, "Fictivumab", "2024-01-01", **{**GBM_PATIENT, **facts}), FICTIVUMAB_CPC)
        return condition(found, suffix)["status"]

    assert (
        status("glioblastoma/condition/prior-treatment", prior_treatments=[("temozolomide", "progression")]) == "unmet"
    )
    assert status("glioblastoma/condition/imaging", imaging={"fdopa-pet": True}) == "met"  # AnyOf
    assert status("glioblastoma/condition/imaging", imaging={"IRM de perfusion": False, "FDOPA": False}) == "unmet"
    ependymoma = {"indication": "épendymome", "imaging": {"FDG": True}}
    assert status("ependymoma/condition/imaging", **ependymoma) == "unknown"  # AllOf, SSTR not given
    assert (
        status("ependymoma/condition/imaging", **{**ependymoma, "imaging": {"FDG": True, "SSTR PET": False}}) == "unmet"
    )


def test_fictitious_free_supply_depends_on_an_unknown_event(fiction: Store) -> None:
    # The earliest start is derived: the listing cannot be published before 2026-03-01, the supply
    # starts the day after: 2026-03-02. The graph does not state it on the start time point.
    before = measure(ask(fiction, "Fictivumab", "2026-03-01", **GBM_PATIENT), FICTIVUMAB_FREE)
    assert before["status"] == "not_applicable"
    assert before["period"]["start_not_before"] == "2026-03-02"
    assert before["period"]["start_point"]["not_before_derived"] is True
    result = ask(fiction, "Fictivumab", "2026-03-02", treatment_start="2024-01-10", **GBM_PATIENT)
    free = measure(result, FICTIVUMAB_FREE)
    assert free["status"] == "indeterminate" and result["status"] == "indeterminate"
    assert free["period"]["start"] is None and free["period"]["end"] is None
    assert free["period"]["end_not_before"] == "2026-09-02"
    assert [m["key"] for m in free["missing"]] == [f"event:{FICTIVUMAB_FREE}/listing-publication"]
    assert "Publication in the Journal officiel of the order listing Fictivumab" in free["missing_facts"][0]
    assert free["decision"] == ID + "eli/ansm/decision/2023/02/14/cpc-fictivumab", "reported in the decision"
    assert free["indication"]["iri"] == FICTIVUMAB_CPC + "/indication/glioblastoma"
    assert free["indication"]["implicit"] is False, "the indication was given"


@pytest.mark.parametrize(
    ("start", "expected"),
    [("2024-01-10", "met"), ("2023-02-20", "unmet"), ("2026-02-28", "met"), ("2026-03-01", "unmet")],
)
def test_fictitious_treatment_start_must_fall_in_the_cpc(fiction: Store, start: str, expected: str) -> None:
    free = measure(ask(fiction, "Fictivumab", "2026-06-01", treatment_start=start, **GBM_PATIENT), FICTIVUMAB_FREE)
    assert condition(free, "free-supply/condition/treatment-start")["status"] == expected
    assert free["status"] == ("indeterminate" if expected == "met" else "not_applicable")


def test_fictitious_indications(fiction: Store) -> None:
    result = ask(fiction, "Fictivumab", "2024-01-01")
    cpc = measure(result, FICTIVUMAB_CPC)
    assert cpc["status"] == "indeterminate"
    assert [i["iri"].rsplit("/", 1)[1] for i in cpc["indications"]] == ["glioblastoma", "ependymoma"]
    free = measure(ask(fiction, "Fictivumab", "2026-06-01", indication="ependymoma"), FICTIVUMAB_FREE)
    assert free["status"] == "not_applicable"
    assert any("does not cover" in r for r in free["reasons"])
    with pytest.raises(ApplicabilityError) as err:
        ask(fiction, "Fictivumab", "2024-01-01", indication="mélanome")
    assert err.value.status == 404 and "Recurrent glioblastoma in adults" in str(err.value)


def test_fictitious_citations_are_spans_of_the_fixture_text(fiction: Store) -> None:
    text = normalize((FIXTURES / f"{FICTION}.txt").read_text(encoding="utf-8"))
    result = ask(fiction, "Fictivumab", "2026-06-01", treatment_start="2024-01-10", **GBM_PATIENT)
    quotes = [c["quote"] for c in result["citations"]]
    assert "Le présent CPC est valable du 1er mars 2023 au 28 février 2026 inclus." in quotes
    for quote in quotes:
        assert normalize(quote) in text, quote
    assert not re.search(r"\d{4}-\d{2}-\d{2}", " ".join(result["missing_facts"])), "no guessed date in what is missing"
