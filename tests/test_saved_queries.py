"""Saved queries: headers, typed parameters bound as RDF terms, REST routes, CLI, injection."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from regkg import Store
from regkg.answers.saved_queries import ParameterError, SavedQuery, load_saved_queries, run_saved_query
from regkg.sparql_text import total_order

from .server import running_server

ROOT = Path(__file__).resolve().parents[1]
QUERIES = load_saved_queries(ROOT / "queries")
REQUIRED = {"indications", "conditions", "boards", "obligations", "periods", "documents", "provenance", "timeline"}
INJECTIONS = [
    '"',
    "'",
    '"} ; DROP ALL ; {"',
    "} ; DROP ALL ; {",
    'Lutathera" } UNION { ?s ?p ?o } #',
    "<https://evil.example/> } ; CLEAR ALL",
    "\\u0022) } DELETE WHERE { ?s ?p ?o } #",
]


def examples(name: str) -> dict[str, str]:
    return {p.name: p.example for p in QUERIES[name].parameters if not p.optional}


def test_the_issue_queries_exist_with_documented_parameters() -> None:
    assert set(QUERIES) >= REQUIRED, f"missing saved queries: {sorted(REQUIRED - set(QUERIES))}"
    for query in QUERIES.values():
        assert query.summary, f"{query.name}.rq has no '#+ summary:'"
        assert query.tags, f"{query.name}.rq has no '#+ tags:'"
        for p in query.parameters:
            assert p.type and p.example and p.description, f"{query.name}: parameter {p.name} is not documented"


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_each_saved_query_answers_its_example_with_citations(built_store: Store, name: str) -> None:
    results = run_saved_query(built_store, QUERIES[name], examples(name))
    columns = [v.value for v in results.variables]
    rows = list(results)
    assert rows, f"{name} with {examples(name)} returned nothing"
    assert "document" in columns and "quote" in columns, f"{name} results must carry document and quote"
    if name not in ("timeline",):
        assert "provision" in columns, f"{name} results must carry the provision (article or section)"
    quoted = [r for r in rows if r["quote"] is not None]
    assert quoted, f"{name}: no row carries a verbatim quote"


def test_indications_of_lutathera_have_their_boards(built_store: Store) -> None:
    rows = list(run_saved_query(built_store, QUERIES["indications"], {"medicine": "LUTATHERA"}))
    boards = [r["boardLabel"].value for r in rows]
    assert boards == ["RCP nationale Comete", "RCP nationale Renaten", "RCP nationale Renaten",
                      "RCP nationale Renaten", "RCP nationale Omega"]  # fmt: skip


def test_medicine_names_are_resolved_case_and_accent_insensitively(built_store: Store) -> None:
    for name in ("lumykras", "LUMYKRAS®", "Sotorasib", "https://w3id.org/regkg/id/medicine/lumykras"):
        rows = list(run_saved_query(built_store, QUERIES["periods"], {"medicine": name}))
        assert {r["medicine"].value for r in rows} == {"https://w3id.org/regkg/id/medicine/lumykras"}, name


def test_optional_parameters_filter_or_leave_everything(built_store: Store) -> None:
    everything = list(run_saved_query(built_store, QUERIES["documents"], {}))
    ansm = list(run_saved_query(built_store, QUERIES["documents"], {"authority": "ANSM"}))
    by_article = list(run_saved_query(built_store, QUERIES["documents"], {"article": "L. 162-16-5-4"}))
    assert len({r["document"].value for r in everything}) == 2
    assert {r["document"].value for r in ansm} == {
        "https://w3id.org/regkg/id/eli/ansm/decision/2022/04/05/cpc-lutathera"
    }
    assert {r["document"].value for r in by_article} == {
        "https://w3id.org/regkg/id/eli/dgos-dss/note/2024/10/08/2024-148"
    }


def test_timeline_is_in_date_order_and_keeps_unknowns(built_store: Store) -> None:
    rows = list(run_saved_query(built_store, QUERIES["timeline"], {"medicine": "Lumykras"}))
    dates = [r["date"].value for r in rows if r["date"] is not None]
    assert dates == sorted(dates)
    assert dates[0] == "2022-04-28" and dates[-1] == "2025-10-24"
    lutathera = list(run_saved_query(built_store, QUERIES["timeline"], {"medicine": "Lutathera"}))
    assert any(r["status"].value == "unknown" for r in lutathera), "the CPC's unknown start stays unknown"


@pytest.mark.parametrize(
    "name,values,status,needle",
    [
        ("indications", {}, 400, "needs parameter 'medicine'"),
        ("indications", {"medicine": "Aspirin"}, 404, "unknown medicine"),
        ("indications", {"medicine": "Lutathera", "colour": "blue"}, 400, "has no parameter colour"),
        ("provenance", {"resource": "not an iri"}, 400, "is not an absolute IRI"),
        ("provenance", {"resource": "https://w3id.org/x>y"}, 400, "is not an absolute IRI"),
    ],
)
def test_bad_parameters_are_clear_errors(built_store: Store, name: str, values: dict, status: int, needle: str) -> None:
    with pytest.raises(ParameterError) as error:
        run_saved_query(built_store, QUERIES[name], values)
    assert error.value.status == status and needle in str(error.value)


@pytest.mark.parametrize("attempt", INJECTIONS)
def test_injection_attempts_are_only_data(built_store: Store, attempt: str) -> None:
    before = len(built_store)
    found = [r["quote"].value for r in run_saved_query(built_store, QUERIES["quotes"], {"text": attempt})]
    assert all(attempt.lower() in q.lower() for q in found), "the text is matched literally, as data"
    with pytest.raises(ParameterError) as unknown:
        run_saved_query(built_store, QUERIES["indications"], {"medicine": attempt})
    assert unknown.value.status == 404
    try:
        rows = list(
            run_saved_query(built_store, QUERIES["provenance"], {"resource": "https://w3id.org/regkg/id/" + attempt})
        )
    except ParameterError as invalid:
        assert invalid.status == 400
    else:
        assert rows == [], "an IRI that names nothing has no provenance"
    assert len(built_store) == before


# --- over HTTP -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(built_store: Store) -> Iterator[httpx.Client]:
    with running_server(built_store.path) as url, httpx.Client(base_url=str(url), timeout=30) as c:
        yield c


def test_rest_lists_the_queries_with_parameters(client: httpx.Client) -> None:
    listing = {q["name"]: q for q in client.get("/api/queries").json()["queries"]}
    assert set(listing) >= REQUIRED
    assert listing["conditions"]["parameters"][1] == {
        "name": "indication", "type": "rk:TherapeuticIndication", "required": False, "example": "PPGL",
        "description": "one indication, by name, abbreviation or IRI (all when absent)",
    }  # fmt: skip


def test_rest_json_and_csv(client: httpx.Client) -> None:
    body = client.get("/api/queries/obligations", params={"medicine": "Lutathera"}).json()
    assert body["query"] == "obligations" and body["parameters"] == {"medicine": "Lutathera"}
    assert any(r.get("responsible") == "Poitiers Regional Pharmacovigilance Centre (CRPV)" for r in body["rows"])
    response = client.get("/api/queries/boards", headers={"Accept": "text/csv"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["boardLabel"] for r in rows} == {"RCP nationale Comete", "RCP nationale Renaten", "RCP nationale Omega"}
    sparql = client.get("/api/queries/boards", params={"format": "sparql-json"}).json()
    assert "bindings" in sparql["results"]


def test_rest_routes_are_in_the_openapi_schema_with_their_parameters(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for name, query in QUERIES.items():
        operation = paths[f"/api/queries/{name}"]["get"]
        declared = {p["name"]: p for p in operation.get("parameters", [])}
        for p in query.parameters:
            assert p.name in declared, f"/api/queries/{name} lacks parameter {p.name} in OpenAPI"
            assert declared[p.name]["required"] is (not p.optional)


def test_rest_errors(client: httpx.Client) -> None:
    missing = client.get("/api/queries/indications")
    assert missing.status_code == 400 and "medicine" in missing.json()["detail"]
    unknown = client.get("/api/queries/indications", params={"medicine": "Aspirin"})
    assert unknown.status_code == 404 and "Lutathera" in unknown.json()["detail"]
    assert client.get("/api/queries/no-such-query").status_code == 404
    assert client.get("/api/queries/boards", headers={"Accept": "image/png"}).status_code == 406


@pytest.mark.parametrize("attempt", INJECTIONS)
def test_rest_injection_attempts_change_nothing(client: httpx.Client, attempt: str) -> None:
    digest = client.get("/health").json()["digest"]
    quotes = client.get("/api/queries/quotes", params={"text": attempt})
    assert quotes.status_code == 200
    assert all(attempt.lower() in row["quote"].lower() for row in quotes.json()["rows"])
    assert client.get("/api/queries/indications", params={"medicine": attempt}).status_code == 404
    assert client.get("/api/queries/provenance", params={"resource": attempt}).status_code == 400
    assert client.get("/health").json()["digest"] == digest
    assert client.get("/api/queries/boards").json()["rows"], "the store still answers"


def test_rest_pages_follow_the_query_order(client: httpx.Client) -> None:
    whole = client.get("/api/queries/timeline", params={"medicine": "Lumykras"}).json()
    assert whole["limit"] == 1000 and whole["offset"] == 0 and whole["next"] is None
    assert len(whole["rows"]) > 5, "the fixture needs a timeline longer than two pages of 3"
    pages, url, params = [], "/api/queries/timeline", {"medicine": "Lumykras", "limit": "3"}
    while url:
        response = client.get(url, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["rows"]) <= 3 and response.headers["x-regkg-rows"] == str(len(body["rows"]))
        pages.append(body["rows"])
        if body["next"]:
            assert response.headers["link"] == f'<{body["next"]}>; rel="next"'
            assert body["next"].startswith(str(client.base_url)), "next is an absolute URL under the service"
        else:
            assert "link" not in response.headers
        url, params = body["next"], None
    assert [row for page in pages for row in page] == whole["rows"], "the pages put together are the whole answer"
    assert all(len(page) == 3 for page in pages[:-1])
    csv_page = client.get("/api/queries/timeline", params={"medicine": "Lumykras", "limit": "2", "offset": "2",
                                                           "format": "csv"})  # fmt: skip
    assert len(list(csv.DictReader(io.StringIO(csv_page.text)))) == 2
    assert 'rel="next"' in csv_page.headers["link"] and "offset=4" in csv_page.headers["link"]


@pytest.mark.parametrize(
    ("params", "needle"),
    [({"limit": "0"}, "limit must be between 1 and 10000"), ({"limit": "10001"}, "limit must be between"),
     ({"limit": "ten"}, "must be integers"), ({"offset": "-1"}, "offset must be between 0 and"),
     ({"offset": "99999999999999999999"}, "offset must be between 0 and")],
)  # fmt: skip
def test_rest_bad_pages_are_400(client: httpx.Client, params: dict[str, str], needle: str) -> None:
    response = client.get("/api/queries/boards", params=params)
    assert response.status_code == 400 and needle in response.json()["detail"], response.text


def test_values_declaration_binds_in_the_text_with_the_same_answers(built_store: Store) -> None:
    import dataclasses

    boards = QUERIES["boards"]
    assert boards.in_text == ("board",), "boards.rq declares '#+ values: board'"
    substituted = dataclasses.replace(boards, in_text=())

    def rows(query: SavedQuery, values: dict[str, str]) -> list[tuple[str, ...]]:
        return [tuple(map(str, r)) for r in run_saved_query(built_store, query, values)]

    for board in ("RCP nationale Renaten", "RCP nationale Comete", "RCP nationale Omega"):
        assert rows(boards, {"board": board}) == rows(substituted, {"board": board}) != [], board
    assert rows(boards, {}) == rows(substituted, {})


@pytest.mark.parametrize(
    "line", ["#+ values: nope", "#+ values: text", "#+ values:"],
)  # fmt: skip
def test_values_declaration_is_checked(tmp_path: Path, line: str) -> None:
    (tmp_path / "bad.rq").write_text(f"#+ param: text | string | x | a text\n{line}\nSELECT * WHERE {{ ?s ?p ?text }}")
    with pytest.raises(ValueError, match="bad '#\\+ values:' line"):
        load_saved_queries(tmp_path)


def test_saved_queries_cannot_declare_the_routes_own_parameters(tmp_path: Path) -> None:
    (tmp_path / "bad.rq").write_text("#+ param: limit | integer | 3 | rows\nSELECT * WHERE { ?s ?p ?o }")
    with pytest.raises(ValueError, match="parameter name limit is reserved"):
        load_saved_queries(tmp_path)


@pytest.mark.parametrize(
    ("query", "ordered"),
    [("SELECT ?a ?b WHERE { ?a ?p ?b } ORDER BY ?a", "SELECT ?a ?b WHERE { ?a ?p ?b } ORDER BY ?a ?b"),
     ("SELECT ?a (COUNT(?b) AS ?n) WHERE { ?a ?p ?b } GROUP BY ?a ORDER BY DESC(?n) # c\n",
      "SELECT ?a (COUNT(?b) AS ?n) WHERE { ?a ?p ?b } GROUP BY ?a ORDER BY DESC(?n) ?a # c\n"),
     ("SELECT ?a ?b WHERE { { SELECT ?a WHERE { ?a ?p ?o } ORDER BY ?a LIMIT 3 } ?a ?q ?b } LIMIT 5",
      "SELECT ?a ?b WHERE { { SELECT ?a WHERE { ?a ?p ?o } ORDER BY ?a LIMIT 3 } ?a ?q ?b } ORDER BY ?a ?b LIMIT 5"),
     ("SELECT ?a ?b WHERE { ?a ?p ?b } ORDER BY STR(?a) ?b", "SELECT ?a ?b WHERE { ?a ?p ?b } ORDER BY STR(?a) ?b ?a"),
     ("SELECT ?a ?b WHERE { ?a ?p ?b } VALUES ?a { <x> }",
      "SELECT ?a ?b WHERE { ?a ?p ?b } ORDER BY ?a ?b VALUES ?a { <x> }"),
     ("SELECT * WHERE { ?a ?p ?b } ORDER BY ?a", None),
     ("SELECT ?a WHERE { ?a ?p ?b } ORDER BY ASC(?a)", None),
     ("ASK { ?a ?p ?b }", None)],
)  # fmt: skip
def test_saved_queries_are_evaluated_in_a_total_order(query: str, ordered: str | None) -> None:
    assert total_order(query) == (ordered or query)


# --- CLI -------------------------------------------------------------------------------------


def ask(*args: str, store: Store) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REGKG_STORE": str(store.path)}
    return subprocess.run([sys.executable, "-m", "regkg.cli", "ask", *args], capture_output=True, text=True, env=env)


def test_cli_ask(built_store: Store) -> None:
    out = ask("indications", "--param", "medicine=Lutathera", "--format", "csv", store=built_store)
    assert out.returncode == 0, out.stderr
    boards = [row["boardLabel"] for row in csv.DictReader(io.StringIO(out.stdout))]
    assert boards.count("RCP nationale Renaten") == 3 and len(boards) == 5
    listing = ask(store=built_store)
    assert listing.returncode == 0 and "conditions medicine=… [indication=…]" in listing.stdout
    bad = ask("indications", "-p", "medicine=Aspirin", store=built_store)
    assert bad.returncode == 2 and "unknown medicine" in bad.stderr
    assert ask("nope", store=built_store).returncode == 2
    assert ask("indications", "-p", "medicine", store=built_store).returncode == 2
    page = ask("indications", "-p", "medicine=Lutathera", "--format", "csv", "--limit", "2", "--offset", "3",
               store=built_store)  # fmt: skip
    assert [row["boardLabel"] for row in csv.DictReader(io.StringIO(page.stdout))] == boards[3:5], page.stderr
