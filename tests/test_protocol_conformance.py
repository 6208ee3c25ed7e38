"""The W3C SPARQL 1.1 Protocol test suite, run against a live ``regkg serve``.

The manifest and its data (tests/fixtures/conformance/protocol/, copied unchanged from
w3c/rdf-tests; licence in tests/fixtures/conformance/LICENSE.md) are parsed with rdflib. Every
mf:ProtocolTest's ht:Requests are sent in order, over HTTP, to a server whose store holds the
suite's named graphs (data1.nt as <http://kasei.us/2009/09/sparql/data/data1.rdf>, and so on,
as the tests' ut:graphData say).

- Query tests (query_*, bad_query_*, bad_multiple_queries) must pass as written: the status
  class (2xx/3xx/4xx), the result format (boolean / tabular / RDF, each parsed in the returned
  media type) and the ASK answer.
- Update tests (update_*, bad_update_*, bad_multiple_updates) do not apply: the public endpoint
  is read-only. Each update request must be refused (403 when it is recognisable as an update,
  otherwise another 4xx as the manifest asks), the store must be unchanged, and a follow-up
  query of the test must answer normally but see none of the update's effects.

data0.rdf: several query tests (query_get, query_post_form, query_content_type_*,
bad_query_method) name <http://kasei.us/2009/09/sparql/data/data0.rdf> as default-graph-uri, but
no test declares data for it and the suite ships no data0 file. Their queries (ASK {},
SELECT (1 AS ?value) {}, DESCRIBE <http://example.org/>, CONSTRUCT ... WHERE {}) give the same
answer over any dataset, so the graph is simply absent from the store: the endpoint must take an
unknown graph IRI as an empty graph, not as an error.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import rdflib
from rdflib import RDF, RDFS, Namespace
from rdflib.collection import Collection
from rdflib.query import Result

from regkg.store import write_store

from .server import running_server

ROOT = Path(__file__).resolve().parents[1]
SUITE = Path(__file__).resolve().parent / "fixtures" / "conformance" / "protocol"
SHARED = ROOT.parent / "shared" / "conformance" / "sparql11" / "protocol"  # where the copy came from
MANIFEST = SUITE / "manifest.ttl"
MANIFEST_BASE = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/manifest.ttl"
ENDPOINT = "/sparql"  # replaces the manifest's /sparql/ prefix

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SRX = "{http://www.w3.org/2005/sparql-results#}"

STATUS_CLASSES = {HTS.StatusCode2xx: 2, HTS.StatusCode3xx: 3, HTS.StatusCode4xx: 4, HTS.StatusCode5xx: 5}
RESULT_FORMATS = {  # media type -> rdflib results parser
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
RDF_FORMATS = {  # media type -> rdflib parser
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "text/plain": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/n-quads": "nquads",
    "application/trig": "trig",
}


@dataclass
class ProtocolRequest:
    method: str
    path: str  # on the server: the manifest's /sparql/ replaced by ENDPOINT
    headers: dict[str, str]
    body: bytes | None
    statuses: set[int]  # acceptable status classes: 2, 3, 4...
    expected_format: str | None = None  # "boolean", "tabular", "RDF"
    expected_boolean: bool | None = None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def is_update(self) -> bool:
        """Whether the request can be told to be SPARQL Update (rather than a malformed request)."""
        if self.content_type == "application/sparql-update" or "update" in parse_qs(urlsplit(self.path).query):
            return True
        if self.content_type == "application/x-www-form-urlencoded" and self.body is not None:
            return "update" in parse_qs(self.body.decode("utf-8", "replace"))
        return False


@dataclass
class ProtocolTest:
    name: str  # the local name, e.g. query_post_form
    label: str  # mf:name
    requests: list[ProtocolRequest]
    graph_data: dict[str, str] = field(default_factory=dict)  # graph IRI -> data file name

    @property
    def is_query_test(self) -> bool:
        return self.name.startswith(("query_", "bad_query_")) or self.name == "bad_multiple_queries"


def _server_path(absolute_path: str) -> str:
    assert absolute_path.startswith("/sparql/"), absolute_path
    return ENDPOINT + absolute_path.removeprefix("/sparql/")


def _request(g: rdflib.Graph, node: rdflib.term.Node) -> ProtocolRequest:
    headers = {}
    header_list = g.value(node, HT.headers)
    if header_list is not None:
        for header in Collection(g, header_list):
            headers[str(g.value(header, HT.fieldName)).lower()] = str(g.value(header, HT.fieldValue))
    body = None
    body_node = g.value(node, HT.body)
    if body_node is not None:
        encoding = str(g.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = str(g.value(body_node, CNT.chars)).encode(encoding.lower())  # UTF-16: with its BOM
    response = g.value(node, HT.resp)
    statuses = {STATUS_CLASSES[s] for s in g.objects(response, MF.expectedStatus)}
    fmt = g.value(response, MF.expectedFormat)
    boolean = g.value(response, MF.expectedBoolean)
    return ProtocolRequest(
        method=str(g.value(node, HT.methodName)),
        path=_server_path(str(g.value(node, HT.absolutePath))),
        headers=headers,
        body=body,
        statuses=statuses,
        expected_format=None if fmt is None else str(fmt),
        expected_boolean=None if boolean is None else bool(boolean.toPython()),
    )


def load_manifest(path: Path = MANIFEST) -> list[ProtocolTest]:
    """The manifest's tests, in manifest order."""
    g = rdflib.Graph()
    g.parse(path, format="turtle", publicID=MANIFEST_BASE)
    manifest = g.value(predicate=RDF.type, object=MF.Manifest, any=False)
    tests = []
    for entry in Collection(g, g.value(manifest, MF.entries)):
        assert (entry, RDF.type, MF.ProtocolTest) in g, entry
        action = g.value(entry, MF.action)
        requests = [_request(g, r) for r in Collection(g, g.value(action, HT.requests))]
        graph_data = {}
        for data in g.objects(entry, UT.graphData):
            graph_data[str(g.value(data, RDFS.label))] = str(g.value(data, UT.graph)).rsplit("/", 1)[-1]
        name = str(entry).rsplit("#", 1)[-1]
        tests.append(ProtocolTest(name, str(g.value(entry, MF.name)), requests, graph_data))
    return tests


TESTS = load_manifest()
QUERY_TESTS = [t for t in TESTS if t.is_query_test]
UPDATE_TESTS = [t for t in TESTS if not t.is_query_test]
OUTCOMES: dict[str, list[str]] = {}  # query test name -> problems found (empty: passed)


def suite_graphs() -> dict[str, str]:
    """Every graph the tests declare (graph IRI -> data file), checked to be consistent."""
    graphs: dict[str, str] = {}
    for test in TESTS:
        for graph, data_file in test.graph_data.items():
            assert graphs.setdefault(graph, data_file) == data_file, f"{graph} has two data files"
    return graphs


def build_suite_store(store_path: Path) -> dict[str, int]:
    """A regkg store whose named graphs are the suite's data graphs; returns quads per graph."""
    lines, counts = [], {}
    for graph, data_file in sorted(suite_graphs().items()):
        source = rdflib.Graph().parse(SUITE / data_file, format="nt")
        for s, p, o in source:
            lines.append(f"{s.n3()} {p.n3()} {o.n3()} <{graph}> .")
        counts[graph] = len(source)
    nquads = ("\n".join(sorted(lines)) + "\n").encode("utf-8")
    info = {"digest": hashlib.sha256(nquads).hexdigest(), "quads": len(lines), "graphs": counts}
    write_store(store_path, nquads, info)
    return counts


@pytest.fixture(scope="module")
def suite_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("protocol") / "store"
    build_suite_store(path)
    return path


@pytest.fixture(scope="module")
def client(suite_store: Path) -> Iterator[httpx.Client]:
    env = {"REGKG_QUERY_TIMEOUT": "10", "REGKG_WORKERS": "2"}
    with running_server(suite_store, env=env) as base_url, httpx.Client(base_url=base_url, timeout=15.0) as http:
        yield http


# -- checking responses --------------------------------------------------------------------------


def _media_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def _boolean(response: httpx.Response) -> bool:
    """The ASK answer, from SPARQL JSON or XML results (checked by hand and by rdflib)."""
    media = _media_type(response)
    fmt = RESULT_FORMATS.get(media)
    if fmt == "json":
        doc = json.loads(response.content)
        assert isinstance(doc.get("head"), dict), "JSON boolean result without a head"
        assert isinstance(doc.get("boolean"), bool), f"JSON result without a boolean: {doc}"
        value = doc["boolean"]
    elif fmt == "xml":
        root = ET.fromstring(response.content)
        assert root.tag == f"{SRX}sparql", root.tag
        element = root.find(f"{SRX}boolean")
        assert element is not None and element.text in ("true", "false"), "XML result without a boolean"
        value = element.text == "true"
    else:
        raise AssertionError(f"a boolean result must be SPARQL JSON or XML, got {media!r}")
    parsed = Result.parse(io.BytesIO(response.content), format=fmt)
    assert parsed.type == "ASK" and parsed.askAnswer is value
    return value


def _check_tabular(response: httpx.Response) -> None:
    """A SELECT result in one of the SPARQL results formats, parsed in that format."""
    media = _media_type(response)
    fmt = RESULT_FORMATS.get(media)
    assert fmt is not None, f"not a SPARQL results media type: {media!r}"
    text = response.content.decode("utf-8")
    if fmt == "json":
        doc = json.loads(text)
        assert isinstance(doc["head"]["vars"], list) and isinstance(doc["results"]["bindings"], list), doc
    elif fmt == "xml":
        root = ET.fromstring(response.content)
        assert root.find(f"{SRX}head") is not None and root.find(f"{SRX}results") is not None
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert rows and all(len(row) == len(rows[0]) for row in rows), rows
    else:
        lines = text.rstrip("\n").split("\n")
        assert all(v.startswith(("?", "$")) for v in lines[0].split("\t")), lines[0]
    parsed = Result.parse(io.BytesIO(response.content), format=fmt)
    assert parsed.type == "SELECT" and parsed.vars is not None


def _check_rdf(response: httpx.Response) -> rdflib.Graph:
    """An RDF document, parsed by rdflib in the media type it was sent as."""
    media = _media_type(response)
    fmt = RDF_FORMATS.get(media)
    assert fmt is not None, f"not an RDF media type: {media!r}"
    graph = rdflib.Dataset() if fmt in ("nquads", "trig") else rdflib.Graph()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # rdflib's own Dataset internals
        graph.parse(data=response.content, format=fmt, publicID="http://example.org/base")
    return graph


def check_response(request: ProtocolRequest, response: httpx.Response) -> list[str]:
    """What is wrong with the response to a request, by the manifest's expectations."""
    problems = []
    status_class = response.status_code // 100
    if status_class not in request.statuses:
        wanted = "/".join(f"{c}xx" for c in sorted(request.statuses))
        problems.append(
            f"{request.method} {request.path}: status {response.status_code}, expected {wanted}: {response.text[:300]}"
        )
        return problems
    if status_class != 2 or request.expected_format is None:
        return problems
    try:
        if request.expected_format == "boolean":
            answer = _boolean(response)
            if request.expected_boolean is not None and answer is not request.expected_boolean:
                problems.append(f"ASK answered {answer}, expected {request.expected_boolean}")
        elif request.expected_format == "tabular":
            _check_tabular(response)
        elif request.expected_format == "RDF":
            _check_rdf(response)
        else:
            problems.append(f"unknown mf:expectedFormat {request.expected_format!r}")
    except Exception as exc:  # a parse failure is a test failure, with its reason
        problems.append(f"{request.expected_format} response does not parse ({_media_type(response)}): {exc!r}")
    return problems


def send(client: httpx.Client, request: ProtocolRequest) -> httpx.Response:
    return client.request(request.method, request.path, headers=request.headers, content=request.body)


def run_query_test(client: httpx.Client, test: ProtocolTest) -> list[str]:
    problems = []
    for request in test.requests:
        problems += check_response(request, send(client, request))
    OUTCOMES[test.name] = problems
    return problems


def snapshot(client: httpx.Client) -> tuple[object, ...]:
    """What the store holds: build digest, counts, and every quad."""
    health = client.get("/health").json()
    quads = client.get(
        ENDPOINT,
        params={"query": "SELECT * { GRAPH ?g { ?s ?p ?o } }"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert quads.status_code == 200, quads.text
    rows = sorted(json.dumps(b, sort_keys=True) for b in quads.json()["results"]["bindings"])
    return health["digest"], health["quads"], health["graphs"], rows


# -- the tests -------------------------------------------------------------------------------------


def test_manifest_is_the_w3c_suite() -> None:
    assert len(TESTS) == 34
    assert len(QUERY_TESTS) == 20
    assert len(UPDATE_TESTS) == 14
    assert all(t.name.startswith(("update_", "bad_update_", "bad_multiple_updates")) for t in UPDATE_TESTS)
    assert (SUITE.parent / "LICENSE.md").is_file()
    if SHARED.is_dir():  # the copy is unchanged
        for name in ("manifest.ttl", "data1.nt", "data2.nt", "data3.nt"):
            assert (SUITE / name).read_bytes() == (SHARED / name).read_bytes(), name


def test_store_holds_the_suite_graphs(client: httpx.Client) -> None:
    graphs = client.get("/health").json()["graphs"]
    assert graphs == {f"http://kasei.us/2009/09/sparql/data/data{i}.rdf": 1 for i in (1, 2, 3)}


def test_data0_is_an_empty_graph(client: httpx.Client) -> None:
    """data0.rdf is named by tests but has no data: the endpoint takes it as an empty graph."""
    assert "http://kasei.us/2009/09/sparql/data/data0.rdf" not in suite_graphs()
    assert not any((SUITE / f"data0.{ext}").exists() for ext in ("nt", "rdf", "ttl"))
    data0 = "http://kasei.us/2009/09/sparql/data/data0.rdf"
    for query, expected in (("ASK { ?s ?p ?o }", False), ("ASK {}", True)):
        response = client.get(ENDPOINT, params={"query": query, "default-graph-uri": data0})
        assert response.status_code == 200, response.text
        assert response.json()["boolean"] is expected


@pytest.mark.parametrize("test", QUERY_TESTS, ids=[t.name for t in QUERY_TESTS])
def test_query(client: httpx.Client, test: ProtocolTest) -> None:
    problems = run_query_test(client, test)
    assert not problems, f"{test.name} ({test.label}):\n" + "\n".join(problems)


@pytest.mark.parametrize("test", UPDATE_TESTS, ids=[t.name for t in UPDATE_TESTS])
def test_update_refused(client: httpx.Client, test: ProtocolTest) -> None:
    """Not applicable (read-only endpoint): every update is refused and changes nothing."""
    before = snapshot(client)
    updates = [r for r in test.requests if r.content_type != "application/sparql-query"]
    follow_ups = [r for r in test.requests if r.content_type == "application/sparql-query"]
    assert updates, "an update test without an update request"
    for request in test.requests:
        response = send(client, request)
        if request in updates:
            expected = 403 if request.is_update() else None
            assert 400 <= response.status_code < 500, f"{request.path}: {response.status_code} {response.text}"
            if expected is not None:
                assert response.status_code == expected, f"{request.path}: {response.status_code} {response.text}"
                assert "read-only" in response.json()["detail"]
        else:  # the manifest's check of the update's effect: answers, but sees nothing of it
            assert response.status_code == 200, response.text
            assert _boolean(response) is (not request.expected_boolean)
    assert len(updates) + len(follow_ups) == len(test.requests)
    assert snapshot(client) == before


def test_all_query_tests_passed(
    client: httpx.Client, capsys: pytest.CaptureFixture[str], record_property: pytest.RecordProperty
) -> None:
    for test in QUERY_TESTS:  # those not run yet (e.g. under -k): run them now
        if test.name not in OUTCOMES:
            run_query_test(client, test)
    failed = {name: problems for name, problems in OUTCOMES.items() if problems}
    passed = len(QUERY_TESTS) - len(failed)
    summary = (
        f"W3C SPARQL 1.1 Protocol: {passed}/{len(QUERY_TESTS)} query tests passed; {len(UPDATE_TESTS)} update "
        "tests not applicable (read-only endpoint: each update refused, store unchanged)"
    )
    record_property("w3c_protocol_query_tests", f"{passed}/{len(QUERY_TESTS)}")
    with capsys.disabled():
        print(f"\n{summary}")
        for name, problems in failed.items():
            print(f"  FAILED {name}: {problems[0]}")
    assert passed == len(QUERY_TESTS) == 20, summary
