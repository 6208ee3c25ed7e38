"""Hostile input against a real ``regkg serve``: malformed SPARQL, wrong content types, oversized
bodies, deeply nested or enormous queries, unknown IRIs, path traversal, injection in saved-query
parameters, HTML in literals, bad applicability requests, SERVICE to loopback or private
addresses; and the hygiene around them: security headers, request ids, structured access logs,
no stack trace in any response. Afterwards the server is healthy and the store unchanged.

Every request made through the module's clients is checked on the way (see ``_checked``): no 5xx,
no trace in the body, a request id and the security headers on the response.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient

from regkg import Settings, Store
from regkg.namespaces import ONTOLOGY_GRAPH
from regkg.service import security
from regkg.service.sparql import _refuse_services
from regkg.store import write_store

from .server import ServerURL, pid_alive, running_server

ROOT = Path(__file__).resolve().parents[1]
MAX_BYTES = 100_000  # REGKG_MAX_REQUEST_BYTES of the servers below
TRACE_MARKERS = ("Traceback (most recent call last)", 'File "/', '.py", line ', "site-packages")
ALLOWED_SERVICE_HOST = "query.wikidata.org"  # allowlisted on the second server; never actually called


def _checked(response: httpx.Response) -> None:
    """Response hook: what must hold for every answer to hostile input."""
    response.read()
    where = f"{response.request.method} {str(response.request.url)[:200]}"
    assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:500]}"
    for marker in TRACE_MARKERS:
        assert marker not in response.text, f"{where}: trace text in the response: {response.text[:500]}"
    if "access-control-request-method" in response.request.headers:
        return  # a CORS preflight, answered by the CORS middleware (outermost) before the rest
    assert response.headers.get("x-request-id"), f"{where}: no X-Request-ID"
    assert response.headers.get("x-content-type-options") == "nosniff", f"{where}: no nosniff"
    assert response.headers.get("content-security-policy"), f"{where}: no Content-Security-Policy"


def _client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=60, event_hooks={"response": [_checked]})


def _problem(response: httpx.Response, status: int | tuple[int, ...]) -> str:
    """The detail of a problem document with one of the expected statuses."""
    expected = status if isinstance(status, tuple) else (status,)
    assert response.status_code in expected, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == response.status_code and body["title"] and body["detail"]
    return str(body["detail"])


def _raw_get(url: str, path: str) -> tuple[int, bytes, dict[str, str]]:
    """GET a path exactly as written (no client-side normalisation of ``..`` or escapes)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        conn.putheader("Accept", "*/*")
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}
    finally:
        conn.close()


def _store_fingerprint(store: Store) -> str:
    return hashlib.sha256(store.export("nquads")).hexdigest()


# -- servers -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def before(built_store: Store) -> dict[str, Any]:
    """The store as it was before any hostile request."""
    return {"digest": built_store.info["digest"], "fingerprint": _store_fingerprint(built_store)}


@pytest.fixture(scope="module")
def server(built_store: Store, before: dict[str, Any]) -> Iterator[ServerURL]:
    env = {"REGKG_MAX_REQUEST_BYTES": str(MAX_BYTES), "REGKG_WORKERS": "2", "REGKG_QUERY_TIMEOUT": "10"}
    with running_server(built_store.path, env=env, args=("--log-level", "info")) as url:  # access log on
        yield url


@pytest.fixture(scope="module")
def client(server: ServerURL) -> Iterator[httpx.Client]:
    with _client(server) as c:
        yield c


XSS = "<script>alert(1)</script>"
CRAFTED = f"""\
<https://w3id.org/regkg/id/test/xss> <http://www.w3.org/2000/01/rdf-schema#label> {json.dumps(XSS)}@fr <https://w3id.org/regkg/id/graph/test> .
<https://w3id.org/regkg/id/test/xss> <http://www.w3.org/2000/01/rdf-schema#label> "<img src=x onerror=alert(2)>"@en <https://w3id.org/regkg/id/graph/test> .
<https://w3id.org/regkg/id/test/xss> <http://www.w3.org/2004/02/skos/core#altLabel> "\\"><svg onload=alert(3)>" <https://w3id.org/regkg/id/graph/test> .
<https://w3id.org/regkg/id/test/xss> <http://www.w3.org/2004/02/skos/core#definition> "</td></tr></table><script>alert(4)</script>"@fr <https://w3id.org/regkg/id/graph/test> .
<https://w3id.org/regkg/id/test/xss> <http://www.w3.org/2000/01/rdf-schema#seeAlso> <javascript:alert(5)> <https://w3id.org/regkg/id/graph/test> .
<https://w3id.org/regkg/id/test/xss> <http://www.w3.org/2000/01/rdf-schema#seeAlso> <data:text/html;base64,PHNjcmlwdD5hbGVydCg2KTwvc2NyaXB0Pg==> <https://w3id.org/regkg/id/graph/test> .
<https://w3id.org/regkg/id/test/link> <http://www.w3.org/2000/01/rdf-schema#label> "</title><script>alert(7)</script>"@fr <https://w3id.org/regkg/id/graph/test> .
<https://w3id.org/regkg/id/test/link> <http://www.w3.org/2000/01/rdf-schema#seeAlso> <https://w3id.org/regkg/id/test/xss> <https://w3id.org/regkg/id/graph/test> .
<https://w3id.org/regkg/ontology#EvilTerm> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/2002/07/owl#Class> <{ONTOLOGY_GRAPH}> .
<https://w3id.org/regkg/ontology#EvilTerm> <http://www.w3.org/2000/01/rdf-schema#label> "<script>alert(8)</script>"@fr <{ONTOLOGY_GRAPH}> .
<https://w3id.org/regkg/ontology#EvilTerm> <http://www.w3.org/2000/01/rdf-schema#label> "<b onmouseover=alert(9)>x</b>"@en <{ONTOLOGY_GRAPH}> .
<https://w3id.org/regkg/ontology#EvilTerm> <http://www.w3.org/2004/02/skos/core#definition> "<iframe src=javascript:alert(10)></iframe>"@en <{ONTOLOGY_GRAPH}> .
"""  # noqa: E501
ACTIVE_MARKUP = (
    "<script>alert",
    "<img src=x",
    "<svg onload",
    "<iframe",
    "<b onmouseover",
    'href="javascript:',
    'href="data:',
)


@pytest.fixture(scope="module")
def crafted_server(built_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerURL]:
    """A server over the shipped data plus resources whose labels carry HTML and script, and with
    one allowlisted SERVICE host (to try to reach private addresses through it)."""
    nquads = built_store.export("nquads") + CRAFTED.encode("utf-8")
    path = tmp_path_factory.mktemp("crafted") / "store"
    info = {**built_store.info, "digest": hashlib.sha256(nquads).hexdigest(), "quads": nquads.count(b"\n")}
    write_store(path, nquads, info)
    env = {"REGKG_MAX_REQUEST_BYTES": str(MAX_BYTES), "REGKG_SERVICE_ALLOWLIST": ALLOWED_SERVICE_HOST}
    with running_server(path, env=env) as url:
        yield url


@pytest.fixture(scope="module")
def crafted(crafted_server: ServerURL) -> Iterator[httpx.Client]:
    with _client(crafted_server) as c:
        yield c


# -- malformed SPARQL, wrong content types --------------------------------------------------------

MALFORMED = [
    "SELEKT * WHERE { ?s ?p ?o }",
    "SELECT * WHERE { ?s ?p ?o",
    "SELECT * WHERE { ?s ?p ?o } }",
    'SELECT * WHERE { ?s ?p "unterminated }',
    "PREFIX : <http://a.example/ SELECT * WHERE { ?s ?p ?o }",
    "SELECT * WHERE { ?s ?p <http://a b> }",  # malformed IRI
    'SELECT * WHERE { ?s ?p "x"^^<not an iri> }',  # malformed literal
    'SELECT * WHERE { ?s ?p "x"@-- }',  # malformed language tag
    "SELECT * WHERE { ?s nope:p ?o }",  # undeclared prefix
    "SELECT (COUNT(* AS ?n) WHERE { }",
    "\x00\x01\x02",
    "SELECT * WHERE { ?s ?p ?o } LIMIT -1",
    "ASK {} ASK {}",
    "{ } } { {",
]


@pytest.mark.parametrize("query", MALFORMED)
def test_malformed_sparql_is_400(client: httpx.Client, query: str) -> None:
    _problem(client.get("/sparql", params={"query": query}), 400)
    _problem(client.post("/sparql", data={"query": query}), 400)
    direct = client.post("/sparql", content=query.encode(), headers={"Content-Type": "application/sparql-query"})
    _problem(direct, 400)


def test_malformed_protocol_requests_are_4xx(client: httpx.Client) -> None:
    _problem(client.get("/sparql", params={"query": "ASK {}", "default-graph-uri": "not an iri"}), 400)
    _problem(client.get("/sparql", params={"query": "ASK {}", "named-graph-uri": "<x>"}), 400)
    _problem(client.get("/sparql", params=[("query", "ASK {}"), ("query", "ASK {}")]), 400)
    _problem(client.post("/sparql", data={"nothing": "here"}), 400)
    _problem(client.get("/sparql", params={"query": "ASK {}", "format": "image/png"}), 406)
    _problem(client.get("/sparql", params={"query": "ASK {}"}, headers={"Accept": "image/png"}), 406)
    bad_utf8 = client.post("/sparql", content=b"ASK {\xff\xfe}", headers={"Content-Type": "application/sparql-query"})
    _problem(bad_utf8, 400)
    _problem(client.request("DELETE", "/sparql"), 405)
    _problem(client.request("PUT", "/api/applicability", json={}), 405)
    _problem(client.get("/no/such/route"), 404)


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "text/plain", "text/xml", "multipart/form-data; boundary=x", "image/png",
     "application/sparql-query; charset=latin-1", "application/x-www-form-urlencoded; charset=utf-16"],
)  # fmt: skip
def test_wrong_content_type_for_sparql_is_415(client: httpx.Client, content_type: str) -> None:
    _problem(client.post("/sparql", content=b"query=ASK+%7B%7D", headers={"Content-Type": content_type}), 415)


def test_missing_content_type_for_sparql_is_415(client: httpx.Client) -> None:
    request = client.build_request("POST", "/sparql", content=b"ASK {}")
    assert "content-type" not in request.headers
    _problem(client.send(request), 415)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_wrong_content_type_for_applicability_is_415(client: httpx.Client, content_type: str) -> None:
    body = json.dumps({"medicine": "Lumykras", "date": "2024-06-01"}).encode()
    _problem(client.post("/api/applicability", content=body, headers={"Content-Type": content_type}), 415)
    # the same body declared as JSON is answered
    assert client.post("/api/applicability", content=body, headers={"Content-Type": "application/json"}).is_success


def test_malformed_json_is_400(client: httpx.Client) -> None:
    json_type = {"Content-Type": "application/json"}
    for body in (b'{"medicine":', b"[1, 2]", b"null", b'"text"', b"{" * 50_000, b"[" * 40_000 + b"]" * 40_000):
        _problem(client.post("/api/applicability", content=body, headers=json_type), 400)


# -- oversized bodies, enormous and deeply nested queries ----------------------------------------


def test_oversized_bodies_are_413(client: httpx.Client) -> None:
    big = "ASK {} #" + "x" * MAX_BYTES
    assert str(MAX_BYTES) in _problem(client.post("/sparql", data={"query": big}), 413)
    _problem(client.post("/sparql", content=big.encode(), headers={"Content-Type": "application/sparql-query"}), 413)
    payload = {"medicine": "Lumykras", "date": "2024-06-01", "other": {f"k{i}": True for i in range(20_000)}}
    _problem(client.post("/api/applicability", json=payload), 413)
    # a chunked body (no Content-Length) is counted as it arrives
    chunks = (b"x" * 10_000 for _ in range(MAX_BYTES // 10_000 + 2))
    chunked = client.post("/sparql", content=chunks, headers={"Content-Type": "application/sparql-query"})
    _problem(chunked, 413)
    assert "content-length" not in {k.lower() for k in chunked.request.headers}
    # an enormous query string (sent as is: httpx refuses to build such a URL)
    status, body, _ = _raw_get(str(client.base_url), "/sparql?query=" + "ASK%20%7B%7D%23" + "x" * MAX_BYTES)
    assert status in (400, 413, 414, 431), (status, body[:200])
    assert b"Traceback" not in body
    # a body just under the limit is answered
    small = "ASK {} #" + "x" * (MAX_BYTES // 2)
    assert client.post("/sparql", data={"query": small}).status_code == 200


def test_a_small_chunked_body_is_answered(client: httpx.Client) -> None:
    chunks = iter([b"ASK ", b"{ ?s ?p ?o }"])
    response = client.post("/sparql", content=chunks, headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 200 and response.json()["boolean"] is True


DEEP = 5000
NESTED = {
    "groups": "SELECT * WHERE " + "{" * DEEP + "}" * DEEP,
    "optional": "SELECT * WHERE { " + "OPTIONAL { " * DEEP + "}" * DEEP + " }",
    "expressions": "SELECT * WHERE { FILTER(" + "(" * DEEP + "1" + ")" * DEEP + ") }",
    "functions": "SELECT * WHERE { BIND(" + "STR(" * DEEP + "1" + ")" * DEEP + " AS ?x) }",
    "blank nodes": "SELECT * WHERE { ?s ?p " + "[ ?p " * DEEP + "1" + " ]" * DEEP + " }",
    "collections": "ASK { ?s ?p " + "(" * DEEP + "1" + ")" * DEEP + " }",
    "subqueries": "SELECT * WHERE { " + "{ SELECT * WHERE " * 2000 + "{}" + " }" * 4000 + " }",
}
# Flat but long chains: no bracket nesting, yet the engine recurses on them.
CHAINED = {
    "negations": "SELECT * WHERE { FILTER(" + "!" * 50_000 + "true) }",
    "binds": "SELECT * WHERE { " + " ".join(f"BIND(1 AS ?x{i})" for i in range(3500)) + " }",
}


@pytest.mark.parametrize("name", sorted(NESTED))
def test_deeply_nested_query_is_refused(client: httpx.Client, name: str) -> None:
    query = NESTED[name]
    assert len(query.encode()) < MAX_BYTES
    detail = _problem(client.post("/sparql", data={"query": query}), 400)
    assert "nest" in detail
    assert client.get("/health").json()["status"] == "ok"


@pytest.mark.parametrize("name", sorted(CHAINED))
def test_long_chained_query_is_4xx_and_the_server_recovers(client: httpx.Client, name: str) -> None:
    query = CHAINED[name]
    assert len(query.encode()) < MAX_BYTES
    response = client.post("/sparql", content=query.encode(), headers={"Content-Type": "application/sparql-query"})
    _problem(response, 400)  # the engine overflows its stack on these: the worker is replaced
    assert client.post("/sparql", data={"query": "ASK { ?s ?p ?o }"}).json()["boolean"] is True


def test_large_but_reasonable_queries_are_answered(client: httpx.Client) -> None:
    values = "SELECT ?x WHERE { VALUES ?x { " + " ".join(str(i) for i in range(10_000)) + " } } LIMIT 3"
    assert len(client.post("/sparql", data={"query": values}).json()["results"]["bindings"]) == 3
    nested = "SELECT * WHERE " + "{" * 50 + " ?s ?p ?o " + "}" * 50 + " LIMIT 1"  # deep, but not absurd
    assert client.post("/sparql", data={"query": nested}).status_code == 200
    braces_in_strings = 'SELECT * WHERE { BIND("' + "{" * 10_000 + '" AS ?x) }'  # not nesting at all
    assert client.post("/sparql", data={"query": braces_in_strings}).status_code == 200


# -- unknown IRIs, path traversal ------------------------------------------------------------------


@pytest.mark.parametrize("accept", ["text/html", "text/turtle", "application/ld+json", "*/*"])
def test_unknown_iris_are_404(client: httpx.Client, accept: str) -> None:
    for path in ("/id/nothing/here", "/id/measure/nope-2099", "/id/", "/id/%00", "/id/%ff%fe", "/id/a%3Eb",
                 "/id/a%20%3E%20%3Fp%20%3Fo%20%7D%20UNION%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20%7D%20%23",
                 "/id/" + "x" * 5000):  # fmt: skip
        response = client.get(path, headers={"Accept": accept})
        assert response.status_code == 404, (path, response.status_code, response.text[:200])
    assert client.get("/api/queries/nope").status_code == 404


def test_not_found_page_escapes_the_iri(client: httpx.Client) -> None:
    response = client.get("/id/" + XSS, headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "<script>" not in response.text and "&lt;script&gt;" in response.text


TRAVERSALS = [
    "/id/../../etc/passwd",
    "/id/%2e%2e/%2e%2e/etc/passwd",
    "/id/..%2f..%2f..%2fetc%2fpasswd",
    "/download/..%2fbuild.json",
    "/download/..%2F..%2Fbuild.json",
    "/download/%2e%2e%2fbuild.json",
    "/download/../build.json",
    "/download/../oxigraph/CURRENT",
    "/download/..",
    "/download/%2e%2e",
    "/download/regkg.nq.gz/../../build.json",
    "/download/%00",
    "/download/regkg.nq.gz%00.json",
    "/download/" + "%2e%2e%2f" * 8 + "etc/passwd",
    "/static/../../../../etc/passwd",
    "/static/..%2f..%2f..%2fapp.py",
    "/static/%2e%2e/%2e%2e/app.py",
    "/static/..%2fapp.py",
    "/static/yasgui/../../app.py",
    "/static/yasgui/..%2f..%2f__init__.py",
    "/static//etc/passwd",
    "/static/%00",
    "//etc/passwd",
    "/..%2f..%2f..%2fetc/passwd",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_never_serves_a_file(server: ServerURL, path: str) -> None:
    status, body, headers = _raw_get(server, path)
    assert status in (400, 404), (path, status, body[:200])
    text = body.decode("utf-8", "replace")
    for leaked in ("root:x:", '"digest"', "def create_app", "import ", "MANIFEST", "\x00\x00"):
        assert leaked not in text, (path, text[:300])
    for marker in TRACE_MARKERS:
        assert marker not in text
    assert headers.get("x-content-type-options") == "nosniff"


def test_dumps_and_static_files_are_still_served(client: httpx.Client) -> None:
    assert client.get("/download/regkg.nq.gz").status_code == 200
    assert client.get("/static/query.js").status_code == 200


# -- saved-query parameters ----------------------------------------------------------------------


INJECTIONS = [
    '"} ; DROP ALL ; SELECT * WHERE { ?s ?p ?o',
    'date certaine" } UNION { ?s ?p ?o } #',
    "') || true || ('",
    "<script>alert(1)</script>",
    '\\"\\u0022\\x22',
    "${jndi:ldap://127.0.0.1/x}",
    "%00%22%7D",
    "\u202e\ufeff\u0000",
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_in_string_parameter_is_plain_data(client: httpx.Client, value: str) -> None:
    response = client.get("/api/queries/quotes", params={"text": value})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rows"] == [] and body["parameters"] == {"text": value}


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_in_class_parameter_is_an_unknown_name(client: httpx.Client, value: str) -> None:
    detail = _problem(client.get("/api/queries/indications", params={"medicine": "Lutathera" + value}), 404)
    assert "unknown" in detail
    known = client.get("/api/queries/indications", params={"medicine": "Lutathera"})
    assert len(known.json()["rows"]) >= 5


def test_injection_in_iri_parameter_is_400(client: httpx.Client) -> None:
    for value in ("http://x> } ?s ?p ?o {<", "https://w3id.org/regkg/id/x> ?p ?o } #", "not an iri", "<>", ""):
        _problem(client.get("/api/queries/provenance", params={"resource": value}), 400)
    unknown = client.get("/api/queries/provenance", params={"resource": "https://w3id.org/regkg/id/nothing"})
    assert unknown.status_code == 200 and unknown.json()["rows"] == []


def test_unknown_parameters_are_ignored_or_refused(client: httpx.Client) -> None:
    response = client.get("/api/queries/boards", params={"query": "DROP ALL", "update": "DROP ALL"})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json()["parameters"] == {}


# -- HTML and script in literals -------------------------------------------------------------------


def _csp_directives(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return {d.strip().split(" ", 1)[0]: d.strip() for d in policy.split(";") if d.strip()}


def test_script_in_literals_is_escaped_in_pages(crafted: httpx.Client) -> None:
    page = crafted.get("/id/test/xss", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for markup in ACTIVE_MARKUP:
        assert markup not in page.text, markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "&lt;img src=x onerror=alert(2)&gt;" in page.text
    # the page that links to it shows its label escaped too
    linking = crafted.get("/id/test/link", headers={"Accept": "text/html"})
    assert linking.status_code == 200
    for markup in ACTIVE_MARKUP:
        assert markup not in linking.text, markup
    assert "&lt;/title&gt;&lt;script&gt;alert(7)" in linking.text
    # and a script that got through anyway would not run: scripts only from this origin
    script_src = _csp_directives(page)["script-src"]
    assert "'self'" in script_src and "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_script_in_ontology_labels_is_escaped(crafted: httpx.Client) -> None:
    page = crafted.get("/ontology", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "EvilTerm" in page.text
    for markup in ACTIVE_MARKUP:
        assert markup not in page.text, markup
    assert "&lt;script&gt;alert(8)&lt;/script&gt;" in page.text


def test_literals_in_data_formats_are_not_html(crafted: httpx.Client) -> None:
    turtle = crafted.get("/id/test/xss", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200 and XSS in turtle.text
    assert turtle.headers["content-type"].startswith("text/turtle")
    assert "sandbox" in turtle.headers["content-security-policy"]
    hits = crafted.get("/api/search", params={"q": "script alert"})
    assert hits.status_code == 200 and hits.headers["content-type"].startswith("application/json")


# -- applicability -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body,status",
    [
        ({"medicine": "Lumykras", "date": "2024-13-45"}, 400),
        ({"medicine": "Lumykras", "date": "2024-02-30"}, 400),
        ({"medicine": "Lumykras", "date": "yesterday"}, 400),
        ({"medicine": "Lumykras", "date": ""}, 400),
        ({"medicine": "Lumykras", "date": "0000-01-01"}, 400),
        ({"medicine": "Lumykras", "date": "+2024-01-01"}, 400),
        ({"medicine": "Lumykras", "date": "2024-01-01T00:00:00"}, 400),
        ({"medicine": "Lumykras", "date": "２０２４-01-01"}, 400),
        ({"medicine": "Lumykras", "date": "9" * 5000}, 400),
        ({"medicine": "Lumykras", "date": 20240101}, 400),
        ({"medicine": "Lumykras", "date": None}, 400),
        ({"medicine": "Lumykras", "date": "2024-06-01", "treatment_start": "2023-02-29"}, 400),
        ({"medicine": "Lumykras", "date": "2024-06-01", "treatment_start": "soon"}, 400),
        ({"medicine": "Doliprane", "date": "2024-06-01"}, 404),
        ({"medicine": XSS, "date": "2024-06-01"}, 404),
        ({"medicine": "' OR 1=1 --", "date": "2024-06-01"}, 404),
        ({"medicine": "https://w3id.org/regkg/id/x> ?p ?o } #", "date": "2024-06-01"}, 404),
        ({"medicine": "\u0000", "date": "2024-06-01"}, 404),
        ({"medicine": "", "date": "2024-06-01"}, 400),
        ({"medicine": None, "date": "2024-06-01"}, 400),
        ({"medicine": "Lutathera", "date": "2024-06-01", "indication": "grippe"}, 404),
        ({"medicine": "Lutathera", "date": "2024-06-01", "imaging": {"x-ray": True}}, 400),
        ({"medicine": "Lutathera", "date": "2024-06-01",
          "prior_treatments": [{"treatment": "x", "outcome": "y"}]}, 400),
        ({"medicine": "Lutathera", "date": "2024-06-01", "other": {"nope": True}}, 400),
        ({"medicine": "Lutathera", "date": "2024-06-01", "other": {"x": {"nested": 1}}}, 400),
        ({"medicine": "Lutathera", "date": "2024-06-01", "unexpected": 1}, 400),
    ],
)  # fmt: skip
def test_bad_applicability_requests(client: httpx.Client, body: dict[str, Any], status: int) -> None:
    _problem(client.post("/api/applicability", json=body), status)


# -- SERVICE to loopback and private addresses ---------------------------------------------------

PRIVATE_SERVICES = [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:8000/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE <http://localhost/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE <http://10.0.0.1/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE <http://169.254.169.254/latest/meta-data/> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE <http://[::1]:8000/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE <http://192.168.0.1/> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE <http://172.16.0.1/> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE <http://2130706433/> { ?s ?p ?o } }",  # 127.0.0.1 as one number
    "SELECT * WHERE { SERVICE <http://0x7f.1/> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE <http://127.1/> { ?s ?p ?o } }",
    "SELECT * WHERE { service silent <http://10.0.0.1/> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE # a comment\n <http://10.0.0.1/> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE<http://10.0.0.1/>{ ?s ?p ?o } }",
    "PREFIX x: <http://10.1.2.3/> SELECT * WHERE { SERVICE x:sparql { ?s ?p ?o } }",
    "PREFIX x: <http://127.0.0.1:8000/> SELECT * WHERE { SERVICE SILENT x:sparql { ?s ?p ?o } }",
    "PREFIX : <http://169.254.169.254/> SELECT * WHERE { SERVICE :latest { ?s ?p ?o } }",
    "BASE <http://10.0.0.1/> SELECT * WHERE { SERVICE <sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { BIND(<http://10.0.0.1/> AS ?e) SERVICE ?e { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE <http://user:pw@127.0.0.1/> { ?s ?p ?o } }",
    "SELECT * WHERE { { SERVICE <http://10.0.0.1/> { ?s ?p ?o } } UNION { ?s ?p ?o } }",
    "ASK { FILTER EXISTS { SERVICE <http://10.0.0.1/> { ?s ?p ?o } } }",
]
# With an allowlisted host: addresses dressed up to look like it.
DISGUISED_SERVICES = [
    f"SELECT * WHERE {{ SERVICE <http://{ALLOWED_SERVICE_HOST}@10.0.0.1/sparql> {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ SERVICE <http://{ALLOWED_SERVICE_HOST}:443@127.0.0.1/sparql> {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ SERVICE <http://10.0.0.1/sparql?{ALLOWED_SERVICE_HOST}> {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ SERVICE <http://10.0.0.1/#@{ALLOWED_SERVICE_HOST}/> {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ SERVICE <http://{ALLOWED_SERVICE_HOST}.127.0.0.1.nip.io/> {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ SERVICE <http://10.0.0.1/{ALLOWED_SERVICE_HOST}/sparql> {{ ?s ?p ?o }} }}",
    f"PREFIX w: <http://{ALLOWED_SERVICE_HOST}@169.254.169.254/> SELECT * WHERE {{ SERVICE w:x {{ ?s ?p ?o }} }}",
]


def _refused_locally(query: str, allowlist: tuple[str, ...]) -> None:
    """Never let a test make the server call a private address: the same check, in this process,
    must refuse the query before it is sent."""
    if _refuse_services(query, Settings(root=ROOT, service_allowlist=allowlist)) is None:
        pytest.fail(f"the SERVICE check would let this query through (not sent): {query}")


@pytest.mark.parametrize("query", PRIVATE_SERVICES)
def test_service_to_private_addresses_is_403(client: httpx.Client, query: str) -> None:
    _refused_locally(query, ())
    assert "SERVICE" in _problem(client.get("/sparql", params={"query": query}), 403)
    _problem(client.post("/sparql", content=query.encode(), headers={"Content-Type": "application/sparql-query"}), 403)


@pytest.mark.parametrize("query", PRIVATE_SERVICES + DISGUISED_SERVICES)
def test_service_to_private_addresses_is_403_with_an_allowlist(crafted: httpx.Client, query: str) -> None:
    _refused_locally(query, (ALLOWED_SERVICE_HOST,))
    _problem(crafted.post("/sparql", data={"query": query}), 403)


def test_service_word_in_data_is_not_a_service_call(client: httpx.Client) -> None:
    query = 'SELECT * WHERE { BIND("SERVICE <http://10.0.0.1/>" AS ?x) } # SERVICE <http://10.0.0.1/>'
    assert client.get("/sparql", params={"query": query}).status_code == 200


# -- headers, request ids, logs, CORS --------------------------------------------------------------


def test_security_headers(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cross-origin-resource-policy"] == "same-origin"
    assert page.headers["cross-origin-opener-policy"] == "same-origin"
    directives = _csp_directives(page)
    assert directives["script-src"] == "script-src 'self'"
    assert directives["object-src"] == "object-src 'none'"
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    data = client.get("/sparql", params={"query": "ASK {}"})
    assert data.headers["cross-origin-resource-policy"] == "cross-origin"  # public data, CORS-readable
    assert data.headers["content-security-policy"].startswith("default-src 'none'")
    for response in (client.get("/static/query.js"), client.get("/nope"), client.get("/docs")):
        assert response.headers["x-frame-options"] == "DENY"
    assert "cdn.jsdelivr.net" in client.get("/docs").headers["content-security-policy"]  # Swagger UI


def test_request_id_is_echoed_and_logged(client: httpx.Client, server: ServerURL) -> None:
    sane = "hostile-test-" + str(time.time_ns())
    response = client.get("/sparql", params={"query": "ASK {}"}, headers={"X-Request-ID": sane})
    assert response.headers["x-request-id"] == sane
    for insane in ("has spaces in it", "x" * 500, "<script>", "a;b", ""):
        echoed = client.get("/health", headers={"X-Request-ID": insane}).headers["x-request-id"]
        assert echoed != insane and re.fullmatch(r"[0-9a-f]{32}", echoed)
    generated = client.get("/health").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert client.get("/health").headers["x-request-id"] != generated
    # one JSON access line per request, with the id, method, path, status and duration
    deadline = time.monotonic() + 5
    entry: dict[str, Any] | None = None
    while entry is None and time.monotonic() < deadline:
        for line in server.log().splitlines():
            if line.startswith("{") and sane in line:
                entry = json.loads(line)
        time.sleep(0.05)
    assert entry is not None, server.log()[-2000:]
    assert entry["logger"] == "regkg.access" and entry["request_id"] == sane
    assert entry["method"] == "GET" and entry["path"] == "/sparql" and entry["status"] == 200
    assert isinstance(entry["duration_ms"], int | float) and entry["duration_ms"] >= 0


def test_cors_is_for_reads(client: httpx.Client) -> None:
    origin = "https://elsewhere.example"
    read = client.options("/sparql", headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                              "Access-Control-Request-Headers": "content-type"})  # fmt: skip
    assert read.status_code == 200
    for method in ("PUT", "DELETE", "PATCH"):
        preflight = client.options("/sparql", headers={"Origin": origin, "Access-Control-Request-Method": method})
        assert preflight.status_code == 400, (method, preflight.headers)
    credentials = client.options("/sparql", headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                                     "Access-Control-Request-Headers": "authorization"})  # fmt: skip
    assert credentials.status_code == 400
    exposed = client.get("/health", headers={"Origin": origin}).headers["access-control-expose-headers"]
    assert "x-request-id" in exposed.lower()


# -- unexpected exceptions (in process: the real service has none left to trigger) ----------------


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_unexpected_exception_is_a_500_problem_without_trace(tmp_path: Path) -> None:
    app = FastAPI()
    security.install(app, Settings(root=ROOT, store_path=tmp_path))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret detail: password=hunter2 at /srv/regkg")

    @app.get("/late")
    def late() -> StreamingResponse:
        def chunks() -> Iterator[bytes]:
            yield b"partial"
            raise RuntimeError("secret detail after the start")

        return StreamingResponse(chunks(), media_type="text/plain")

    records = _Records()
    logging.getLogger(security.ERROR_LOGGER).addHandler(records)
    try:
        with TestClient(app, raise_server_exceptions=False) as test_client:
            response = test_client.get("/boom", headers={"X-Request-ID": "req-42"})
            late_response = test_client.get("/late")
    finally:
        logging.getLogger(security.ERROR_LOGGER).removeHandler(records)
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "status": 500,
        "title": "Internal Server Error",
        "detail": "internal error; request id req-42",
    }
    assert response.headers["x-request-id"] == "req-42" and response.headers["x-content-type-options"] == "nosniff"
    assert "secret" not in response.text and "Traceback" not in response.text
    assert "secret" not in late_response.text and "Traceback" not in late_response.text
    # the trace is in the server's log, with the request id
    logged = [r for r in records.records if getattr(r, "fields", {}).get("request_id") == "req-42"]
    assert logged and logged[0].exc_info is not None
    formatted = json.loads(security.JsonFormatter().format(logged[0]))
    assert "password=hunter2" in formatted["trace"] and formatted["request_id"] == "req-42"
    assert len(records.records) == 2  # /late too


def test_query_nesting_is_measured_outside_strings_and_iris() -> None:
    assert security.query_nesting("SELECT * WHERE { { ?s ?p ?o } }") == 2
    assert security.query_nesting('SELECT * WHERE { ?s ?p "{{{{((((" } # }}}}}') == 1
    assert security.query_nesting("SELECT * WHERE { ?s ?p <http://a.example/(x)[y]> }") == 1
    assert security.query_nesting("SELECT * WHERE { FILTER(?a < 3 && (?b > (1))) }") == 4
    assert security.query_too_nested("{" * 201 + "}" * 201) and not security.query_too_nested("{" * 200 + "}" * 200)


# -- afterwards ------------------------------------------------------------------------------------


def test_server_still_healthy_and_store_unchanged(
    client: httpx.Client, server: ServerURL, built_store: Store, before: dict[str, Any]
) -> None:
    """Last in this module: after everything above, the server answers and nothing changed."""
    assert pid_alive(server.pid)
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["digest"] == before["digest"]
    assert client.post("/sparql", data={"query": "ASK { ?s ?p ?o }"}).json()["boolean"] is True
    assert built_store.info["digest"] == before["digest"]
    assert _store_fingerprint(built_store) == before["fingerprint"]
