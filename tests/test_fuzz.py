"""Property-based fuzzing, bounded for CI: the OpenAPI routes of a real ``regkg serve`` with
schemathesis (valid and invalid requests generated from the schema), the SPARQL endpoint with
query-like token soup, and in process the CLI argument parser and commands, the lexical analysis
of SPARQL text and the saved-query parameter binding, with hypothesis. Nothing may answer 5xx or
raise; nothing may change the store.

The budget: ``REGKG_FUZZ_EXAMPLES`` examples per API operation (default 25) and per property
(default 200). Set it higher for a longer local run, e.g. ``REGKG_FUZZ_EXAMPLES=500``. Under CI
(``CI`` set) generation is derandomised, so that a run is reproducible.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import content_type_conformance

from regkg import Settings, Store, cli, sparql_text
from regkg.answers.saved_queries import Parameter, ParameterError, bind, load_saved_queries
from regkg.service import security
from regkg.service.sparql import _refuse_services
from regkg.store import write_store

from .server import ServerURL, running_server

ROOT = Path(__file__).resolve().parents[1]
API_EXAMPLES = int(os.environ.get("REGKG_FUZZ_EXAMPLES", "25"))
PROPERTY_EXAMPLES = int(os.environ.get("REGKG_FUZZ_EXAMPLES", "200"))
CI = bool(os.environ.get("CI"))
TRACE_MARKERS = ("Traceback (most recent call last)", 'File "/', '.py", line ')

# No example database (nothing written in the checkout), no per-example deadline (a server
# round trip varies), reproducible under CI.
FUZZ = settings(
    max_examples=PROPERTY_EXAMPLES,
    deadline=None,
    database=None,
    derandomize=CI,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


def _fingerprint(store: Store) -> str:
    return hashlib.sha256(store.export("nquads")).hexdigest()


@pytest.fixture(scope="module")
def before(built_store: Store) -> str:
    """The store's content before any fuzzing."""
    return _fingerprint(built_store)


@pytest.fixture(scope="module")
def fuzz_server(built_store: Store, before: str) -> Iterator[ServerURL]:
    # A short query time limit: random queries may be expensive; those are stopped (503, by design).
    with running_server(built_store.path, env={"REGKG_QUERY_TIMEOUT": "2", "REGKG_WORKERS": "2"}) as url:
        yield url


# -- the OpenAPI routes (schemathesis) -----------------------------------------------------------


@pytest.fixture(scope="module")
def api_operations(fuzz_server: ServerURL) -> list[APIOperation]:
    """Every operation of the live server's OpenAPI schema."""
    schema = schemathesis.openapi.from_url(f"{fuzz_server}/openapi.json")
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"unusable operation in the OpenAPI schema: {result.err()}"
        operations.append(result.ok())
    return operations


def _header(response: Any, name: str) -> str:
    value = response.headers.get(name)
    return value[0] if isinstance(value, list) and value else (value or "")


def _no_trace_and_headers(response: Any, where: str) -> None:
    text = response.text
    for marker in TRACE_MARKERS:
        assert marker not in text, f"{where}: trace text in the response"
    assert _header(response, "x-request-id"), f"{where}: no X-Request-ID"
    assert _header(response, "x-content-type-options") == "nosniff", f"{where}: no nosniff"


def _fuzz_operation(operation: APIOperation) -> None:
    """Valid and invalid requests for one operation. The JSON API documents its media types; the
    SPARQL, linked-data and page routes negotiate theirs (HTML, Turtle, JSON-LD…) while FastAPI
    documents them as JSON, so there only the absence of 5xx is checked."""
    checks: list[CheckFunction] = [not_a_server_error]
    if operation.path.startswith("/api/"):
        checks.append(content_type_conformance)
    strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @settings(FUZZ, max_examples=API_EXAMPLES)
    @given(case=strategy)
    def run(case: Case) -> None:
        response = case.call(timeout=30)
        case.validate_response(response, checks=checks)
        _no_trace_and_headers(response, f"{case.method} {case.formatted_path}")

    run()


def test_api_routes_never_fail(api_operations: list[APIOperation]) -> None:
    """Generated requests, valid and invalid, for every documented route: never a 5xx, the
    declared content types (JSON API), no trace, the security headers. (Statuses are not checked
    against the schema: it declares FastAPI's 422 where the service answers a problem document with
    400.) schemathesis' own pytest integration (``from_fixture``) fails under pytest 9, so each
    operation's strategy is driven by hypothesis here."""
    assert len(api_operations) >= 20
    for operation in api_operations:
        _fuzz_operation(operation)


# -- the SPARQL endpoint (not described by parameters in the schema) -------------------------------

SPARQL_WORDS = [
    "SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "PREFIX", "BASE", "FILTER", "OPTIONAL", "UNION", "MINUS",
    "GRAPH", "SERVICE", "SILENT", "BIND", "AS", "VALUES", "LIMIT", "OFFSET", "ORDER", "BY", "GROUP", "COUNT",
    "DISTINCT", "INSERT", "DELETE", "DATA", "LOAD", "DROP", "ALL", "EXISTS", "NOT", "IN", "STR", "REGEX", "a",
    "*", "{", "}", "(", ")", "[", "]", ".", ";", ",", "!", "&&", "||", "=", "<", ">", "+", "-", "/", "|", "^",
    "?s", "?p", "?o", "$x", "rk:", "rk:MedicinalProduct", "rdfs:label", "x:y", ":", "1", "-1.5e3", "true",
    '"', "'", '"""', "\\", "#", "\n", "<http://example.org/>", "<https://w3id.org/regkg/id/>", "<>",
    '"lit"@fr', '"1"^^xsd:integer', "_:b", "\u00e9", "\x00",
]  # fmt: skip
sparql_soup = st.one_of(
    st.lists(st.sampled_from(SPARQL_WORDS), max_size=30).map(" ".join),
    st.lists(st.sampled_from(SPARQL_WORDS), max_size=30).map("".join),
    st.text(max_size=200),
)


@pytest.fixture(scope="module")
def sparql_client(fuzz_server: ServerURL) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fuzz_server, timeout=30) as client:
        yield client


@FUZZ
@given(
    query=sparql_soup,
    how=st.sampled_from(["get", "form", "direct"]),
    accept=st.sampled_from(["*/*", "application/sparql-results+json", "text/csv", "text/turtle", "text/html", "x/y"]),
)
def test_sparql_endpoint_never_fails(sparql_client: httpx.Client, query: str, how: str, accept: str) -> None:
    if _refuse_services(query, Settings(root=ROOT)) is None and sparql_text.service_targets(query):
        pytest.fail(f"a SERVICE call would get through: {query!r}")  # never sent: no call may leave the machine
    headers = {"Accept": accept}
    if how == "get":
        response = sparql_client.get("/sparql", params={"query": query}, headers=headers)
    elif how == "form":
        response = sparql_client.post("/sparql", data={"query": query}, headers=headers)
    else:
        headers["Content-Type"] = "application/sparql-query"
        response = sparql_client.post("/sparql", content=query.encode("utf-8", "surrogatepass"), headers=headers)
    timed_out = response.status_code == 503 and "time limit" in response.text  # a runaway query, stopped
    assert response.status_code < 500 or timed_out, (response.status_code, query, response.text[:300])
    _no_trace_and_headers(response, f"/sparql {query!r}")


# -- the command line ------------------------------------------------------------------------------


def _option_strings() -> list[str]:
    """Every sub-command and option of ``regkg``, read from the parser itself."""
    words: set[str] = set()
    for action in cli.parser()._actions:
        for name, sub in (getattr(action, "choices", None) or {}).items():
            if hasattr(sub, "_actions"):
                words.add(name)
                for sub_action in sub._actions:
                    words.update(sub_action.option_strings)
                    words.update(str(c) for c in sub_action.choices or ())
    return sorted(words)


CLI_WORDS = _option_strings()
argv_strategy = st.lists(
    st.one_of(st.sampled_from(CLI_WORDS), st.text(max_size=20), st.sampled_from(["-", "--", "=", "k=v", "1", "-1"])),
    max_size=8,
)


@FUZZ
@given(argv=argv_strategy)
def test_cli_parser_never_crashes(argv: list[str]) -> None:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            args = cli.parser().parse_args(argv)
        except SystemExit:
            return
    assert callable(args.func)


SAVED = load_saved_queries(ROOT / "queries")
text = st.text(max_size=30)
medicine = st.one_of(st.sampled_from(["Lutathera", "lumykras", "SOTORASIB", "Doliprane", ""]), text)
day = st.one_of(st.sampled_from(["2024-06-01", "2023-10-24", "2024-02-30", "9999-12-31", "0001-01-01", ""]), text)
number = st.integers(min_value=-5, max_value=5000).map(str)


def _ask(name: str, params: list[str]) -> list[str]:
    return ["ask", name, *[word for p in params for word in ("--param", p)]]


def _key_value(keys: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.builds(lambda k, v: f"{k}={v}", st.sampled_from(keys), st.one_of(medicine, day, text)), text)


FACT_KEYS = ["board", "imaging:fdg-pet", "imaging:x", "prior:surgery", "prior:systemic-line", "prior:", "adults",
             "kras-g12c", "treatment_start", "nope", ""]  # fmt: skip
command_line = st.one_of(
    st.builds(lambda q, fmt: ["query", q, "--format", fmt], sparql_soup,
              st.sampled_from(["json", "csv", "tsv", "xml", "turtle", "ntriples", "nquads", "x"])),
    st.builds(_ask, st.sampled_from([*SAVED, "nope"]),
              st.lists(_key_value(sorted({p.name for q in SAVED.values() for p in q.parameters})), max_size=3)),
    st.builds(lambda q, m, n: ["facts", "--q", q, "--medicine", m, "--limit", n], text, medicine, number),
    st.builds(lambda q, t, n, f: ["search", q, "--type", t, "--limit", n, "--format", f], text,
              st.one_of(st.sampled_from(["rk:MedicinalProduct", "MedicinalProduct", "nope:X", ""]), text), number,
              st.sampled_from(["json", "jsonld", "text"])),
    st.builds(lambda m, d, s, i, facts: ["applicability", "--medicine", m, "--date", d, "--treatment-start", s,
                                         "--indication", i, *[w for f in facts for w in ("--fact", f)]],
              medicine, day, day, st.one_of(st.sampled_from(["PPGL", "méningiome", "grippe"]), text),
              st.lists(_key_value(FACT_KEYS), max_size=4)),
    st.builds(lambda c, a: [c, *a], st.sampled_from(["query", "ask", "facts", "search", "applicability"]),
              argv_strategy),
)  # fmt: skip


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of three quads for ``regkg query``: the CLI has no time limit, so random queries
    must not meet a dataset whose cross products take hours."""
    nquads = b"""<http://a.example/s> <http://a.example/p> "o" <http://a.example/g> .
<http://a.example/s> <http://www.w3.org/2000/01/rdf-schema#label> "s"@fr <http://a.example/g> .
<http://a.example/o> <http://a.example/p> <http://a.example/s> <http://a.example/g> .
"""
    path = tmp_path_factory.mktemp("tiny") / "store"
    write_store(path, nquads, {"digest": hashlib.sha256(nquads).hexdigest(), "quads": 3, "graphs": {}})
    return path


@settings(FUZZ, max_examples=max(20, PROPERTY_EXAMPLES // 2))
@given(argv=command_line)
def test_read_only_cli_commands_never_crash(built_store: Store, tiny_store: Path, argv: list[str]) -> None:
    """``regkg query|ask|facts|search|applicability`` with random arguments: an exit code (0 or
    2) or an argparse exit, never an exception. (build, validate, serve and mcp write, take long
    or wait on standard input: only their parsing is fuzzed.)"""
    store = tiny_store if argv[0] == "query" else built_store.path
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(io.StringIO()):
        try:
            code = cli.main([*argv, "--store", str(store)])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
    assert code in (0, 1, 2), (argv, code)


# -- SPARQL text analysis ----------------------------------------------------------------------------


@FUZZ
@given(text=sparql_soup)
def test_sparql_text_analysis_never_crashes(text: str) -> None:
    toks = sparql_text.tokens(text)
    assert all(t.text for t in toks)
    assert sparql_text.form(text) in {None, *sparql_text.QUERY_FORMS, *sparql_text.UPDATE_FORMS}
    assert isinstance(sparql_text.is_update(text), bool)
    sparql_text.prefixes(toks)
    targets = sparql_text.service_targets(text)
    # the SERVICE policy is closed: with no allowlist, any SERVICE clause is refused
    refused = _refuse_services(text, Settings(root=ROOT))
    assert (refused is not None) == bool(targets)
    depth = security.query_nesting(text)
    assert 0 <= depth <= sum(text.count(c) for c in "{([")


# -- saved-query parameter binding -------------------------------------------------------------------


def _parameter_types() -> list[str]:
    types = {p.type for q in load_saved_queries(ROOT / "queries").values() for p in q.parameters}
    return sorted(types | {"iri", "string", "date", "integer", "bogus"})


@FUZZ
@given(kind=st.sampled_from(_parameter_types()), value=st.one_of(st.text(max_size=60), st.sampled_from(
    ["Lutathera", "lumykras", "2024-02-29", "2024-02-30", "https://w3id.org/regkg/id/x", "http://x> } #", "-0",
     "１２", "1e3", "PPGL", "", " ", "\x00", "\ud800"])))  # fmt: skip
def test_saved_query_binding_is_a_term_or_a_parameter_error(built_store: Store, kind: str, value: str) -> None:
    try:
        term = bind(built_store, Parameter("p", kind, "", ""), value)
    except ParameterError as exc:
        assert exc.status in (400, 404)
        return
    assert isinstance(term, ox.NamedNode | ox.Literal)


# -- afterwards --------------------------------------------------------------------------------------


def test_nothing_changed(built_store: Store, before: str) -> None:
    """Last in this module: the store is the same after all the fuzzing."""
    assert _fingerprint(built_store) == before
