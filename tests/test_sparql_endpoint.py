"""The SPARQL endpoint of a real ``regkg serve`` over the real project store, with httpx and
SPARQLWrapper: query operations, every result format, errors, read-only refusals, SERVICE
policy, service description, CORS, limits, datasets, and the hard query timeout (a runaway query
is stopped, its worker killed, nothing left behind)."""

from __future__ import annotations

import csv
import io
import json
import os
import time
import urllib.error
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import rdflib
import rdflib.compare
from rdflib.query import Result
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, POSTDIRECTLY, RDFXML, TSV, TURTLE, URLENCODED, XML
from SPARQLWrapper import SPARQLWrapper as Wrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from regkg import Settings, build

from .server import (
    ServerURL,
    command_line,
    cpu_ticks,
    descendants,
    parents,
    pid_alive,
    running_server,
    thread_count,
)

ROOT = Path(__file__).resolve().parents[1]
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
SRX = "{http://www.w3.org/2005/sparql-results#}"

LABELS = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?s ?label WHERE { ?s rdfs:label ?label } ORDER BY ?s ?label LIMIT 40"""
LABEL_GRAPH = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
CONSTRUCT { ?s rdfs:label ?label } WHERE { ?s rdfs:label ?label }"""
EVERYTHING = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
ALL_QUADS = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"
COUNT_DEFAULT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
RUNAWAY = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a ?d ?g"

SOLUTION_MEDIA = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_MEDIA = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/n-quads": "nquads",
    "application/trig": "trig",
}


# -- servers ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real project store, built once for this module (no reasoner: that is test_build's)."""
    path = tmp_path_factory.mktemp("endpoint") / "store"
    build(Settings(root=ROOT, store_path=path), reasoner=False)
    return path


@pytest.fixture(scope="module")
def server(store_path: Path) -> Iterator[ServerURL]:
    """Default limits (10 s, 10 000 rows), two query workers."""
    with running_server(store_path, env={"REGKG_WORKERS": "2"}) as url:
        yield url


@pytest.fixture(scope="module")
def client(server: ServerURL) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=30.0) as http:
        yield http


@pytest.fixture(scope="module")
def limited(store_path: Path) -> Iterator[httpx.Client]:
    """A server with small limits: 5 rows per result, 2000-byte requests."""
    env = {"REGKG_MAX_ROWS": "5", "REGKG_MAX_REQUEST_BYTES": "2000", "REGKG_WORKERS": "1"}
    with running_server(store_path, env=env) as url, httpx.Client(base_url=url, timeout=30.0) as http:
        yield http


@pytest.fixture(scope="module")
def strict(store_path: Path) -> Iterator[ServerURL]:
    """A server with a 2 s query time limit and two workers."""
    with running_server(store_path, env={"REGKG_QUERY_TIMEOUT": "2", "REGKG_WORKERS": "2"}) as url:
        yield url


# -- helpers ------------------------------------------------------------------------------------


def wrapper(server: ServerURL, query: str, fmt: str = JSON, **options: Any) -> Wrapper:
    sparql = Wrapper(f"{server}/sparql", returnFormat=fmt, **options)
    sparql.setQuery(query)
    sparql.setTimeout(30)
    return sparql


def media_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip()


def parse_solutions(response: httpx.Response) -> Result:
    """A SELECT/ASK response parsed by rdflib in the format its Content-Type names."""
    fmt = SOLUTION_MEDIA[media_type(response)]
    return Result.parse(io.BytesIO(response.content), format=fmt)


def parse_graph(content: bytes, media: str) -> rdflib.Graph:
    """RDF parsed by rdflib in the format ``media`` names; quads formats give their union."""
    fmt = GRAPH_MEDIA[media]
    if fmt in ("nquads", "trig"):
        dataset = rdflib.Dataset()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            dataset.parse(data=content, format=fmt)
        union = rdflib.Graph()
        for s, p, o, _g in dataset.quads():
            union.add((s, p, o))
        return union
    return rdflib.Graph().parse(data=content, format=fmt)


def select(http: httpx.Client, query: str, **params: str | list[str]) -> list[dict[str, Any]]:
    response = http.get("/sparql", params={"query": query, **params}, headers={"Accept": "application/json"})
    assert response.status_code == 200, response.text
    return response.json()["results"]["bindings"]


def snapshot(http: httpx.Client) -> tuple[object, ...]:
    """What the store holds: the build's digest and counts, and every quad."""
    health = http.get("/health").json()
    quads = sorted(json.dumps(row, sort_keys=True) for row in select(http, ALL_QUADS))
    return health["digest"], health["quads"], health["graphs"], quads


def problem_detail(response: httpx.Response) -> str:
    assert media_type(response) == "application/problem+json", response.headers
    body = response.json()
    assert body["status"] == response.status_code
    return body["detail"]


def worker_pids(server: ServerURL) -> set[int]:
    """The query worker processes: the children of the server's multiprocessing fork server
    (whose command line they share), or, without one, its children that are not helpers."""
    parent_of = {pid: parent for pid, parent in parents().items() if pid_alive(pid)}
    children = {pid for pid, parent in parent_of.items() if parent == server.pid}
    fork_servers = {pid for pid in children if "forkserver" in command_line(pid)}
    if fork_servers:
        return {pid for pid, parent in parent_of.items() if parent in fork_servers}
    return {pid for pid in children if "resource_tracker" not in command_line(pid)}


def process_census(server: ServerURL) -> tuple[int, int]:
    """(threads of the server process, processes below it, zombies included)."""
    return thread_count(server.pid), len(descendants(server.pid, include_zombies=True))


# -- query operations --------------------------------------------------------------------------


def test_get_post_form_post_direct_agree(client: httpx.Client) -> None:
    accept = {"Accept": "application/sparql-results+json"}
    by_get = client.get("/sparql", params={"query": LABELS}, headers=accept)
    by_form = client.post("/sparql", data={"query": LABELS}, headers=accept)
    by_direct = client.post(
        "/sparql", content=LABELS.encode(), headers={**accept, "Content-Type": "application/sparql-query"}
    )
    for response in (by_get, by_form, by_direct):
        assert response.status_code == 200, response.text
        assert media_type(response) == "application/sparql-results+json"
    rows = by_get.json()["results"]["bindings"]
    assert len(rows) == 40
    assert by_form.json() == by_get.json() == by_direct.json()


@pytest.mark.parametrize("method", ["GET", "POST-form", "POST-direct"])
def test_sparqlwrapper_methods(server: ServerURL, method: str) -> None:
    sparql = wrapper(server, LABELS)
    if method != "GET":
        sparql.setMethod(POST)
        sparql.setRequestMethod(URLENCODED if method == "POST-form" else POSTDIRECTLY)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # SPARQLWrapper's "unexpected Content-Type"
        warnings.simplefilter("ignore", DeprecationWarning)  # rdflib, inside SPARQLWrapper
        result = sparql.queryAndConvert()
    assert result["head"]["vars"] == ["s", "label"]
    assert len(result["results"]["bindings"]) == 40


@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
@pytest.mark.parametrize("only_conneg", [False, True], ids=["format-param", "conneg"])
def test_sparqlwrapper_select_formats(server: ServerURL, fmt: str, only_conneg: bool) -> None:
    sparql = wrapper(server, LABELS, fmt)
    sparql.setOnlyConneg(only_conneg)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", DeprecationWarning)  # rdflib, inside SPARQLWrapper
        result = sparql.query()
        converted = result.convert()
    content_type = result.info()["content-type"]
    if fmt == JSON:
        assert len(converted["results"]["bindings"]) == 40
    elif fmt == XML:
        assert len(converted.getElementsByTagName("result")) == 40
    else:
        text = converted.decode("utf-8")
        assert content_type.startswith("text/csv" if fmt == CSV else "text/tab-separated-values")
        rows = list(csv.reader(io.StringIO(text), delimiter="," if fmt == CSV else "\t"))
        assert len(rows) == 41 and all(len(row) == 2 for row in rows)


@pytest.mark.parametrize("fmt", [TURTLE, RDFXML, JSONLD, N3, XML])
def test_sparqlwrapper_construct_formats(server: ServerURL, fmt: str) -> None:
    sparql = wrapper(server, LABEL_GRAPH, fmt)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", DeprecationWarning)  # rdflib, inside SPARQLWrapper
        result = sparql.query()
        converted = result.convert()
    if isinstance(converted, bytes):
        media = result.info()["content-type"].split(";")[0]
        converted = parse_graph(converted, media if media in GRAPH_MEDIA else "text/turtle")
    assert isinstance(converted, rdflib.Graph)
    assert len(converted) > 100


def test_sparqlwrapper_ask(server: ServerURL) -> None:
    assert wrapper(server, "ASK { ?s ?p ?o }").queryAndConvert()["boolean"] is True
    assert wrapper(server, "ASK { <http://example.org/nothing> ?p ?o }").queryAndConvert()["boolean"] is False


# -- result formats by Accept header ----------------------------------------------------------------


def test_select_every_format(client: httpx.Client) -> None:
    parsed = {}
    for media, fmt in SOLUTION_MEDIA.items():
        response = client.get("/sparql", params={"query": LABELS}, headers={"Accept": media})
        assert response.status_code == 200, response.text
        assert media_type(response) == media
        assert "Accept" in response.headers.get("vary", "")
        result = parse_solutions(response)
        assert result.type == "SELECT" and [str(v) for v in result.vars] == ["s", "label"]
        parsed[fmt] = [tuple(row) for row in result]
        assert len(parsed[fmt]) == 40
    # the same terms in every format (CSV only keeps lexical forms)
    assert parsed["json"] == parsed["xml"] == parsed["tsv"]
    assert [tuple(str(t) for t in row) for row in parsed["csv"]] == [
        tuple(str(t) for t in row) for row in parsed["json"]
    ]
    languages = {row[1].language for row in parsed["json"]}
    assert languages - {None}, "labels keep their language tags"


@pytest.mark.parametrize("answer", [True, False])
def test_ask_every_format(client: httpx.Client, answer: bool) -> None:
    query = "ASK { ?s ?p ?o }" if answer else "ASK { <http://example.org/nothing> ?p ?o }"
    for media in SOLUTION_MEDIA:
        response = client.get("/sparql", params={"query": query}, headers={"Accept": media})
        assert response.status_code == 200, response.text
        assert media_type(response) == media
        if media == "application/sparql-results+json":
            assert response.json()["boolean"] is answer
        elif media == "application/sparql-results+xml":
            assert ET.fromstring(response.content).find(f"{SRX}boolean").text == str(answer).lower()
        else:  # no standard boolean form in CSV/TSV: the word, as oxigraph writes it
            assert response.text.strip() == str(answer).lower()
        if media in ("application/sparql-results+json", "application/sparql-results+xml"):
            assert parse_solutions(response).askAnswer is answer


@pytest.mark.parametrize("query", [EVERYTHING, "describe"], ids=["construct", "describe"])
def test_graph_every_format(client: httpx.Client, query: str) -> None:
    if query == "describe":
        subject = select(client, "SELECT ?s WHERE { ?s a ?type ; ?p ?o } ORDER BY ?s LIMIT 1")[0]["s"]["value"]
        query = f"DESCRIBE <{subject}>"
    graphs = {}
    for media in GRAPH_MEDIA:
        response = client.get("/sparql", params={"query": query}, headers={"Accept": media})
        assert response.status_code == 200, response.text
        assert media_type(response) == media
        graphs[media] = parse_graph(response.content, media)
        assert len(graphs[media]) > 0
    reference = graphs["application/n-triples"]
    for media, graph in graphs.items():
        assert len(graph) == len(reference), media
        assert rdflib.compare.isomorphic(graph, reference), media


def test_construct_everything_is_the_union(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": EVERYTHING}, headers={"Accept": "application/n-triples"})
    distinct = select(client, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o { GRAPH ?g { ?s ?p ?o } } }")
    assert len(parse_graph(response.content, "application/n-triples")) == int(distinct[0]["n"]["value"])


def test_format_parameter(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": LABELS, "format": "csv"}, headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and media_type(response) == "text/csv"
    response = client.get("/sparql", params={"query": LABEL_GRAPH, "format": "application/ld+json"})
    assert response.status_code == 200 and media_type(response) == "application/ld+json"
    response = client.get("/sparql", params={"query": LABELS, "format": "turtle"})
    assert response.status_code == 406


# -- errors --------------------------------------------------------------------------------------


def test_malformed_query_400_with_parser_message(client: httpx.Client, server: ServerURL) -> None:
    response = client.get("/sparql", params={"query": "SELECT ?s WHERE { ?s ?p "})
    assert response.status_code == 400
    detail = problem_detail(response)
    assert detail.startswith("malformed SPARQL query")
    assert "error at 1:" in detail  # the parser's position and expectation
    with pytest.raises(QueryBadFormed, match="malformed SPARQL query"):
        wrapper(server, "SELECT ?s WHERE { ?s ?p ").query()


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        (LABELS, "image/png"),
        (LABELS, "text/turtle"),
        (LABEL_GRAPH, "application/sparql-results+json;q=1, text/csv"),
        ("ASK {}", "application/n-triples"),
    ],
    ids=["select-png", "select-turtle", "construct-results", "ask-ntriples"],
)
def test_impossible_accept_406(client: httpx.Client, query: str, accept: str) -> None:
    response = client.get("/sparql", params={"query": query}, headers={"Accept": accept})
    assert response.status_code == 406, response.text
    assert "available" in problem_detail(response)


@pytest.mark.parametrize("content_type", ["text/plain", "application/json", None])
def test_wrong_content_type_415(client: httpx.Client, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/sparql", content=b"ASK {}", headers=headers)
    assert response.status_code == 415, response.text
    assert "application/sparql-query" in problem_detail(response)


def test_non_utf8_body_refused(client: httpx.Client) -> None:
    response = client.post(
        "/sparql",
        content="ASK {}".encode("utf-16"),
        headers={"Content-Type": "application/sparql-query; charset=UTF-16"},
    )
    assert response.status_code == 415
    response = client.post(
        "/sparql", content=b'ASK { FILTER("\xe9") }', headers={"Content-Type": "application/sparql-query"}
    )
    assert response.status_code == 400


def test_multiple_queries_400(client: httpx.Client) -> None:
    response = client.get("/sparql", params=[("query", "ASK {}"), ("query", "ASK {}")])
    assert response.status_code == 400


# -- read only ----------------------------------------------------------------------------------

INSERT = "INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/evil> <http://example.org/p> 1 } }"
UPDATES = [
    INSERT,
    "PREFIX ex: <http://example.org/>\nDELETE WHERE { ?s ?p ?o }",
    "DROP ALL",
    "CLEAR ALL",
    "LOAD <http://example.org/data.ttl>",
    "# comment\nCREATE GRAPH <http://example.org/new>",
]


def test_updates_refused_403(client: httpx.Client) -> None:
    before = snapshot(client)
    attempts = []
    for update in UPDATES:
        attempts.append(client.post("/sparql", data={"update": update}))
        attempts.append(
            client.post("/sparql", content=update.encode(), headers={"Content-Type": "application/sparql-update"})
        )
        attempts.append(client.get("/sparql", params={"update": update}))
        attempts.append(client.get("/sparql", params={"query": update}))
        attempts.append(client.post("/sparql", data={"query": update}))
        attempts.append(
            client.post("/sparql", content=update.encode(), headers={"Content-Type": "application/sparql-query"})
        )
    for response in attempts:
        assert response.status_code == 403, (response.request.url, response.text)
        assert "read-only" in problem_detail(response)
    assert snapshot(client) == before
    assert select(client, "SELECT * WHERE { <http://example.org/evil> ?p ?o }") == []


@pytest.mark.parametrize("method", [URLENCODED, POSTDIRECTLY])
def test_sparqlwrapper_update_refused(client: httpx.Client, server: ServerURL, method: str) -> None:
    before = snapshot(client)
    sparql = wrapper(server, INSERT)
    sparql.setMethod(POST)
    sparql.setRequestMethod(method)
    with pytest.raises(urllib.error.HTTPError) as error:
        sparql.query()
    assert error.value.code == 403
    assert snapshot(client) == before


SERVICES = [
    "SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "PREFIX wd: <https://query.wikidata.org/>\nSELECT * WHERE { SERVICE wd:sparql { ?s ?p ?o } }",
    "SELECT * WHERE { VALUES ?e { <https://query.wikidata.org/sparql> } SERVICE ?e { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o . OPTIONAL { service <http://evil.example/sparql> { ?s ?q ?r } } }",
]


def test_service_refused_403(client: httpx.Client) -> None:
    before = snapshot(client)
    for query in SERVICES:
        response = client.get("/sparql", params={"query": query})
        assert response.status_code == 403, (query, response.text)
        detail = problem_detail(response)
        assert "SERVICE" in detail and "REGKG_SERVICE_ALLOWLIST" in detail
    assert "a variable" in problem_detail(client.get("/sparql", params={"query": SERVICES[3]}))
    assert snapshot(client) == before
    # the word in a string or an IRI is not a SERVICE clause
    query = 'SELECT * WHERE { ?s ?p "SERVICE <http://evil.example/>" } LIMIT 1'
    assert client.get("/sparql", params={"query": query}).status_code == 200


# -- service description, CORS ------------------------------------------------------------------


def test_service_description(client: httpx.Client, server: ServerURL) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200, response.text
    assert media_type(response) == "text/turtle"
    graph = rdflib.Graph().parse(data=response.content, format="turtle")
    endpoint = rdflib.URIRef(f"{server}/sparql")
    assert (endpoint, rdflib.RDF.type, SD.Service) in graph
    assert (endpoint, SD.endpoint, endpoint) in graph
    assert (endpoint, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (endpoint, SD.supportedLanguage, SD.SPARQL11Update) not in graph
    assert len(set(graph.objects(endpoint, SD.resultFormat))) >= 8
    dataset = graph.value(endpoint, SD.defaultDataset)
    names = {str(graph.value(n, SD.name)) for n in graph.objects(dataset, SD.namedGraph)}
    assert names == set(client.get("/health").json()["graphs"])
    # without Accept (SPARQLWrapper-like */*), and in the other RDF formats
    assert media_type(client.get("/sparql")) == "text/turtle"
    for media in ("application/n-triples", "application/rdf+xml", "application/ld+json"):
        response = client.get("/sparql", headers={"Accept": media})
        assert response.status_code == 200 and media_type(response) == media
        assert rdflib.compare.isomorphic(parse_graph(response.content, media), graph)
    assert client.get("/sparql", headers={"Accept": "image/png"}).status_code == 406
    any_text = client.get("/sparql", headers={"Accept": "text/*"})
    assert any_text.status_code == 200 and media_type(any_text) == "text/turtle"
    browser = client.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.status_code == 303  # a person with a browser goes to the query page


def test_cors(client: httpx.Client) -> None:
    origin = {"Origin": "https://example.org"}
    response = client.get("/sparql", params={"query": "ASK {}"}, headers=origin)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "x-regkg-truncated" in response.headers["access-control-expose-headers"].lower()
    refused = client.get("/sparql", params={"query": "DROP ALL"}, headers=origin)
    assert refused.status_code == 403 and refused.headers["access-control-allow-origin"] == "*"
    preflight = client.options(
        "/sparql",
        headers={**origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
    )
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["access-control-allow-origin"] in ("*", "https://example.org")
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()


# -- limits ----------------------------------------------------------------------------------------


def test_oversized_request_413(limited: httpx.Client) -> None:
    padding = "#" + "x" * 3000 + "\n"
    for response in (
        limited.post(
            "/sparql", content=(padding + "ASK {}").encode(), headers={"Content-Type": "application/sparql-query"}
        ),
        limited.post("/sparql", data={"query": padding + "ASK {}"}),
    ):
        assert response.status_code == 413, response.text
        assert "2000 bytes" in problem_detail(response)
    assert limited.get("/sparql", params={"query": padding + "ASK {}"}).status_code in (413, 414)
    assert limited.post("/sparql", data={"query": "ASK {}"}).status_code == 200


def test_oversized_request_413_readable_cross_origin(limited: httpx.Client) -> None:
    response = limited.post(
        "/sparql",
        content=b"#" + b"x" * 3000 + b"\nASK {}",
        headers={"Content-Type": "application/sparql-query", "Origin": "https://example.org"},
    )
    assert response.status_code == 413
    assert response.headers.get("access-control-allow-origin") == "*"


def test_truncation(limited: httpx.Client) -> None:
    response = limited.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert response.status_code == 200
    assert len(response.json()["results"]["bindings"]) == 5
    assert response.headers["x-regkg-truncated"] == "true"
    assert response.headers["x-regkg-rows"] == "5"
    assert "truncated" in response.headers["warning"]
    for media in SOLUTION_MEDIA:
        response = limited.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"}, headers={"Accept": media})
        assert len(list(parse_solutions(response))) == 5 and response.headers["x-regkg-truncated"] == "true"
    response = limited.get("/sparql", params={"query": EVERYTHING}, headers={"Accept": "application/n-triples"})
    assert len(parse_graph(response.content, "application/n-triples")) == 5
    assert response.headers["x-regkg-truncated"] == "true"
    small = limited.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 5"})
    assert len(small.json()["results"]["bindings"]) == 5
    assert "x-regkg-truncated" not in small.headers and "warning" not in small.headers
    ask = limited.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert "x-regkg-truncated" not in ask.headers


# -- anchored lookups (answered in the service process) -------------------------------------------

LUTATHERA_CPC = "<https://w3id.org/regkg/id/measure/lutathera-cpc-2022>"


@pytest.mark.parametrize(
    ("query", "anchored"),
    [
        (f"SELECT ?p ?o WHERE {{ {LUTATHERA_CPC} ?p ?o }}", True),
        (
            f"PREFIX rk: <https://w3id.org/regkg/ontology#> SELECT * {{ {LUTATHERA_CPC} rk:framework ?f . }} LIMIT 3",
            True,
        ),
        (f"SELECT ?o WHERE {{ {LUTATHERA_CPC} ?p ?o }} OFFSET 2 LIMIT 1", True),
        ("SELECT ?p ?o WHERE { ?s ?p ?o }", False),  # no anchor: a worker, under the time limit
        (f"SELECT DISTINCT ?p WHERE {{ {LUTATHERA_CPC} ?p ?o }}", False),
        (f"SELECT ?p ?o WHERE {{ {LUTATHERA_CPC} ?p ?o }} ORDER BY ?o", False),
        (f"SELECT ?p ?o WHERE {{ {LUTATHERA_CPC} ?p ?o FILTER(true) }}", False),
        (f"SELECT ?o WHERE {{ {LUTATHERA_CPC} <http://x/p>+ ?o }}", False),
        (f"SELECT ?o WHERE {{ {LUTATHERA_CPC} ?p ?o . ?o ?q ?r }}", False),
        (f"SELECT ?o WHERE {{ {LUTATHERA_CPC} ?p ?o }} OFFSET 99999999", False),
        (f"SELECT (COUNT(*) AS ?n) WHERE {{ {LUTATHERA_CPC} ?p ?o }}", False),
        (f"ASK {{ {LUTATHERA_CPC} ?p ?o }}", False),
    ],
)
def test_anchored_lookup_classifier(query: str, anchored: bool) -> None:
    from regkg.sparql_text import anchored_lookup

    assert anchored_lookup(query, 10_000) is anchored, query


def test_anchored_lookup_answers_like_a_worker(client: httpx.Client) -> None:
    lookup = f"SELECT ?p ?o WHERE {{ {LUTATHERA_CPC} ?p ?o }}"
    via_worker = f"SELECT ?p ?o WHERE {{ {LUTATHERA_CPC} ?p ?o FILTER(true) }}"
    for media in SOLUTION_MEDIA:
        fast = client.get("/sparql", params={"query": lookup}, headers={"Accept": media})
        slow = client.get("/sparql", params={"query": via_worker}, headers={"Accept": media})
        assert fast.status_code == slow.status_code == 200, (media, fast.text[:200])
        assert fast.headers["content-type"] == slow.headers["content-type"]
        assert sorted(map(str, parse_solutions(fast))) == sorted(map(str, parse_solutions(slow))), media
        assert fast.headers["x-regkg-rows"] == slow.headers["x-regkg-rows"] != "0"
    broken = client.get("/sparql", params={"query": "SELECT ?p ?o WHERE { nope:x ?p ?o }"})
    assert broken.status_code == 400 and "malformed SPARQL query" in problem_detail(broken)


def test_anchored_lookup_is_truncated_at_the_row_limit(limited: httpx.Client) -> None:
    response = limited.get("/sparql", params={"query": f"SELECT ?p ?o WHERE {{ {LUTATHERA_CPC} ?p ?o }}"})
    assert response.status_code == 200
    assert len(response.json()["results"]["bindings"]) == 5
    assert response.headers["x-regkg-truncated"] == "true"


# -- queries proven fast (answered in the service process after a quick first answer) -----------

JOIN = """PREFIX rk: <https://w3id.org/regkg/ontology#>
SELECT ?measure ?framework WHERE { ?measure rk:framework ?framework ; rk:concernsProduct ?m } ORDER BY ?measure"""


def test_proven_fast_memory_is_bounded_and_forgets_slow_answers() -> None:
    from regkg.service.proven_fast import MAX_QUERY_CHARS, ProvenFast

    proven = ProvenFast(0.005, capacity=2)
    proven.record(("a", "json", None), 0.001)
    proven.record(("slow", "json", None), 0.5)
    assert ("a", "json", None) in proven and ("slow", "json", None) not in proven
    assert ("a", "csv", None) not in proven, "proven for one format only"
    proven.record(("a", "json", None), 0.5)  # slower this time: no longer proven
    assert ("a", "json", None) not in proven
    for name in "bcd":
        proven.record((name, "json", None), 0.001)
    assert len(proven) == 2 and ("b", "json", None) not in proven, "least recently used out first"
    proven.record(("x" * (MAX_QUERY_CHARS + 1), "json", None), 0.001)
    assert ("x" * (MAX_QUERY_CHARS + 1), "json", None) not in proven, "long texts are not kept"


@pytest.mark.parametrize(
    ("query", "admitted"),
    [("SELECT ?x WHERE { VALUES ?x {1} FILTER(IF(RAND() < 0.5, true, EXISTS { ?a ?b ?c . ?d ?e ?f })) }", False),
     ("SELECT (NOW() AS ?t) WHERE {}", False), ("SELECT (struuid() AS ?u) WHERE {}", False),
     ("SELECT ?b WHERE { BIND(BNODE() AS ?b) }", False),
     ("SELECT * WHERE { SERVICE <http://allowed.example/sparql> { ?s ?p ?o } }", False),
     ('SELECT ?s WHERE { ?s rdfs:label "RAND NOW" ; <http://x/uuid> ?o }', True),
     ("SELECT ?s WHERE { ?s ?p ?o } LIMIT 3", True)],
)  # fmt: skip
def test_volatile_queries_are_never_answered_in_process(query: str, admitted: bool) -> None:
    """A text whose cost may differ from one evaluation to the next (a random branch may be fast
    once and hours the next time) stays on the workers, under the hard time limit."""
    from regkg.service.proven_fast import ProvenFast

    proven = ProvenFast(0.005)
    proven.record((query, "json", None), 0.0001)
    assert ((query, "json", None) in proven) is admitted, query


def test_an_in_process_overrun_sends_the_text_back_to_the_workers() -> None:
    from regkg.service.proven_fast import ProvenFast

    proven = ProvenFast(0.005)
    key = ("SELECT ?s WHERE { ?s ?p ?o } LIMIT 3", "json", None)
    proven.record(key, 0.001)  # a worker's quick answer
    proven.record(key, 0.002)  # an in-process run within the limit keeps it
    assert key in proven
    proven.record(key, 0.05)  # an in-process run over the limit drops it
    assert key not in proven


def _worker_ticks(server: ServerURL) -> int:
    return sum(cpu_ticks(pid) for pid in worker_pids(server))


@pytest.mark.parametrize("in_process_ms", ["5", "0"])
def test_quick_queries_move_to_the_service_process(store_path: Path, in_process_ms: str) -> None:
    """A join a worker answered quickly is answered in process afterwards (the workers stay idle),
    with the same bytes; REGKG_IN_PROCESS_MS=0 keeps every such query on the workers."""
    env = {"REGKG_WORKERS": "1", "REGKG_IN_PROCESS_MS": in_process_ms}
    with running_server(store_path, env=env) as url, httpx.Client(base_url=url, timeout=30.0) as http:
        first = http.get("/sparql", params={"query": JOIN}, headers={"Accept": "text/csv"})
        for _ in range(3):  # a cold worker may need more than 5 ms the first time
            http.get("/sparql", params={"query": JOIN}, headers={"Accept": "text/csv"})
        before = _worker_ticks(url)
        answers = {http.get("/sparql", params={"query": JOIN}, headers={"Accept": "text/csv"}).content
                   for _ in range(300)}  # fmt: skip
        used = _worker_ticks(url) - before
    assert first.status_code == 200 and int(first.headers["x-regkg-rows"]) >= 4, first.text[:200]
    assert answers == {first.content}, "the in-process answer differs from the worker's"
    if in_process_ms == "0":
        assert used >= 3, f"workers used {used} ticks for 300 queries with REGKG_IN_PROCESS_MS=0"
    else:
        assert used <= 2, f"workers used {used} ticks for 300 queries proven fast: not answered in process"


# -- datasets -----------------------------------------------------------------------------------


def test_default_graph_is_the_union_of_named_graphs(client: httpx.Client) -> None:
    default = {
        (r["s"]["value"], r["p"]["value"], json.dumps(r["o"], sort_keys=True))
        for r in select(client, "SELECT ?s ?p ?o WHERE { ?s ?p ?o }")
    }
    named = {(r["s"]["value"], r["p"]["value"], json.dumps(r["o"], sort_keys=True)) for r in select(client, ALL_QUADS)}
    assert default == named
    graphs = client.get("/health").json()["graphs"]
    assert len(graphs) >= 2
    assert {r["g"]["value"] for r in select(client, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")} == set(
        graphs
    )


def test_default_graph_uri_restricts_the_dataset(client: httpx.Client) -> None:
    graphs: dict[str, int] = client.get("/health").json()["graphs"]
    total = int(select(client, COUNT_DEFAULT)[0]["n"]["value"])
    for graph, count in graphs.items():
        rows = select(client, COUNT_DEFAULT, **{"default-graph-uri": graph})
        assert int(rows[0]["n"]["value"]) == count < total
    first, second = sorted(graphs)[:2]
    rows = select(client, COUNT_DEFAULT, **{"default-graph-uri": [first, second]})
    assert int(rows[0]["n"]["value"]) <= graphs[first] + graphs[second]
    # POST form and direct carry the dataset too; the protocol's dataset overrides FROM
    data = {"query": COUNT_DEFAULT, "default-graph-uri": first}
    response = client.post("/sparql", data=data, headers={"Accept": "application/json"})
    assert int(response.json()["results"]["bindings"][0]["n"]["value"]) == graphs[first]
    query = f"SELECT (COUNT(*) AS ?n) FROM <{second}> WHERE {{ ?s ?p ?o }}"
    response = client.post(
        "/sparql",
        params={"default-graph-uri": first},
        content=query.encode(),
        headers={"Content-Type": "application/sparql-query", "Accept": "application/json"},
    )
    assert int(response.json()["results"]["bindings"][0]["n"]["value"]) == graphs[first]
    # an unknown graph is an empty one
    assert select(client, COUNT_DEFAULT, **{"default-graph-uri": "http://example.org/none"})[0]["n"]["value"] == "0"
    bad = client.get("/sparql", params={"query": COUNT_DEFAULT, "default-graph-uri": "not an iri"})
    assert bad.status_code == 400


def test_named_graph_uri_restricts_the_dataset(client: httpx.Client) -> None:
    graphs = sorted(client.get("/health").json()["graphs"])
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert {r["g"]["value"] for r in select(client, query, **{"named-graph-uri": graphs[0]})} == {graphs[0]}
    rows = select(client, query, **{"named-graph-uri": graphs[:2]})
    assert {r["g"]["value"] for r in rows} == set(graphs[:2])
    # only named graphs given: the default graph is empty
    assert select(client, COUNT_DEFAULT, **{"named-graph-uri": graphs[0]})[0]["n"]["value"] == "0"
    sparql = Wrapper(f"{client.base_url}/sparql", returnFormat=JSON)
    sparql.setQuery(query)
    sparql.addNamedGraph(graphs[1])
    assert [r["g"]["value"] for r in sparql.queryAndConvert()["results"]["bindings"]] == [graphs[1]]


# -- the hard time limit ------------------------------------------------------------------------


def timed_get(url: str, query: str, timeout: float = 30.0) -> tuple[float, httpx.Response]:
    start = time.monotonic()
    response = httpx.get(
        f"{url}/sparql", params={"query": query}, timeout=timeout, headers={"Accept": "application/sparql-results+json"}
    )
    return time.monotonic() - start, response


def wait_for(condition: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_runaway_query_stopped_while_others_are_served(strict: ServerURL) -> None:
    assert wait_for(lambda: len(worker_pids(strict)) == 2)
    workers_before = worker_pids(strict)
    ticks_before = {pid: cpu_ticks(pid) for pid in workers_before}
    with ThreadPoolExecutor(max_workers=4) as pool:
        runaway = pool.submit(timed_get, strict, RUNAWAY)
        time.sleep(0.5)  # the runaway query holds one worker
        quick = [pool.submit(timed_get, strict, f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {n}") for n in range(1, 9)]
        time.sleep(0.5)
        spinning = max(workers_before, key=lambda pid: cpu_ticks(pid) - ticks_before[pid])
        for future in quick:
            elapsed, response = future.result()
            assert response.status_code == 200, response.text
            assert elapsed < 1.5, f"a simple query took {elapsed:.2f} s while a runaway query ran"
        elapsed, response = runaway.result()
    assert response.status_code == 503, response.text
    assert 1.8 <= elapsed < 4.5, elapsed
    assert "exceeded the 2 s time limit" in problem_detail(response)
    # the worker that ran it is gone (killed, reaped), a fresh one took its place
    assert wait_for(lambda: not pid_alive(spinning)), "the runaway worker still runs"
    assert wait_for(lambda: len(worker_pids(strict)) == 2)
    assert spinning not in worker_pids(strict)
    # and nothing keeps a core busy: the server and all its processes are (nearly) idle
    time.sleep(0.5)  # let the new worker finish starting
    every = {strict.pid, *descendants(strict.pid)}
    start = sum(cpu_ticks(pid) for pid in every)
    time.sleep(1.0)
    used = (sum(cpu_ticks(pid) for pid in every) - start) / os.sysconf("SC_CLK_TCK")
    assert used < 0.3, f"{used:.2f} s of CPU in 1 s after the timeout"
    # the server still answers
    assert timed_get(strict, "ASK { ?s ?p ?o }")[1].json()["boolean"] is True


def test_no_leaks_after_many_queries_and_timeouts(strict: ServerURL) -> None:
    started = time.monotonic()
    queries = [LABELS, "ASK { ?s ?p ?o }", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", LABEL_GRAPH]
    with httpx.Client(base_url=strict, timeout=30.0) as http:

        def normal(i: int) -> int:
            return http.get("/sparql", params={"query": queries[i % len(queries)]}).status_code

        with ThreadPoolExecutor(max_workers=4) as pool:
            assert set(pool.map(normal, range(20))) == {200}  # warm up: connections, worker caches
        assert wait_for(lambda: len(worker_pids(strict)) == 2)
        before = process_census(strict)
        with ThreadPoolExecutor(max_workers=4) as pool:
            assert set(pool.map(normal, range(200))) == {200}
        with ThreadPoolExecutor(max_workers=2) as pool:
            outcomes = list(pool.map(lambda _: timed_get(strict, RUNAWAY)[1].status_code, range(5)))
        assert outcomes == [503] * 5
        with ThreadPoolExecutor(max_workers=4) as pool:
            assert set(pool.map(normal, range(20))) == {200}
    assert wait_for(lambda: process_census(strict) == before, timeout=10), (process_census(strict), before)
    assert len(worker_pids(strict)) == 2
    assert time.monotonic() - started < 40


def test_server_helper_leaves_nothing_behind(store_path: Path) -> None:
    with running_server(store_path, env={"REGKG_WORKERS": "2"}) as url:
        processes = {url.pid, *descendants(url.pid)}
        assert len(worker_pids(url)) == 2
        assert httpx.get(f"{url}/sparql", params={"query": "ASK {}"}).status_code == 200
    assert url.process.returncode is not None
    assert not [pid for pid in processes if pid_alive(pid)], "processes left after the server stopped"
